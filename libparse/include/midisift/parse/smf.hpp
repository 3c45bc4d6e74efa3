// Standard MIDI File reader: bytes in, tracks of events out.
//
// Rules follow "Standard MIDI Files 1.0" (MIDI Manufacturers Association, 1996), cited below as
// SMF 1.0, and "RIFF MIDI" (RMID, Microsoft Multimedia Programming Interface and Data
// Specifications 1.0, 1991) for wrapped files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "midisift/parse/diagnostic.hpp"

namespace midisift::parse {

/// Status bytes with a meaning of their own in an MTrk chunk (SMF 1.0 "Track Chunks").
inline constexpr std::uint8_t kMetaStatus = 0xFF;
inline constexpr std::uint8_t kSysexStatus = 0xF0;
inline constexpr std::uint8_t kSysexEscapeStatus = 0xF7;

/// Meta event types: the byte after 0xFF (SMF 1.0 "Meta-Events"; Port, 0x21, from the MMA's
/// RP-019; Lyric as the karaoke files and RP-017 use it).
enum class MetaType : std::uint8_t {
  SequenceNumber = 0x00,
  Text = 0x01,
  Copyright = 0x02,
  TrackName = 0x03,       ///< Sequence/Track Name
  InstrumentName = 0x04,
  Lyric = 0x05,
  Marker = 0x06,
  CuePoint = 0x07,
  ChannelPrefix = 0x20,
  Port = 0x21,
  EndOfTrack = 0x2F,
  SetTempo = 0x51,
  SmpteOffset = 0x54,
  TimeSignature = 0x58,
  KeySignature = 0x59,
  SequencerSpecific = 0x7F,
};

/// Channel voice message kinds: the high nibble of the status byte (MIDI 1.0 Detailed
/// Specification, "Channel Voice Messages"; 0xB0 also carries the channel mode messages).
enum class StatusKind : std::uint8_t {
  NoteOff = 0x80,
  NoteOn = 0x90,
  PolyPressure = 0xA0,
  ControlChange = 0xB0,
  ProgramChange = 0xC0,
  ChannelPressure = 0xD0,
  PitchBend = 0xE0,
};

/// Controller numbers of control change messages (MIDI 1.0 "Control Change Messages", the
/// controllers General MIDI 1 requires).
enum class Controller : std::uint8_t {
  BankSelect = 0,
  Modulation = 1,
  Volume = 7,
  Pan = 10,
  Expression = 11,
  BankSelectLsb = 32,
  SustainPedal = 64,
  ResetAllControllers = 121,
  AllNotesOff = 123,
};

/// One MTrk event, 16 bytes, stored contiguously per track.
///
/// - Channel voice/mode message: `status` is 0x80-0xEF (running status already resolved),
///   `data1`/`data2` the data bytes (`data2` is 0 for program change and channel pressure).
/// - Meta event: `status` is 0xFF, `data1` the meta type, payload at `offset`/`length`.
/// - Sysex event: `status` is 0xF0 or 0xF7 (escape), payload (after the length VLQ) at
///   `offset`/`length`.
/// - System common or real-time message found in a track (not allowed by SMF 1.0, kept for
///   timing fidelity): `status` is 0xF1-0xFE, data bytes in `data1`/`data2`.
struct Event {
  std::uint32_t tick;    ///< absolute time in ticks from the start of the track
  std::uint32_t offset;  ///< byte offset in the file: payload for meta/sysex, message otherwise
  std::uint32_t length;  ///< payload length in bytes (meta and sysex), else 0
  std::uint8_t status;
  std::uint8_t data1;
  std::uint8_t data2;
  std::uint8_t reserved = 0;

  [[nodiscard]] constexpr bool is_channel() const noexcept { return status >= 0x80 && status < 0xF0; }
  [[nodiscard]] constexpr bool is_meta() const noexcept { return status == kMetaStatus; }
  /// A meta event of type `t`.
  [[nodiscard]] constexpr bool is_meta(MetaType t) const noexcept {
    return status == kMetaStatus && data1 == static_cast<std::uint8_t>(t);
  }
  [[nodiscard]] constexpr bool is_sysex() const noexcept {
    return status == kSysexStatus || status == kSysexEscapeStatus;
  }
  [[nodiscard]] constexpr std::uint8_t channel() const noexcept { return status & 0x0F; }
  /// The kind of a channel message (meaningful when `is_channel()`).
  [[nodiscard]] constexpr StatusKind kind() const noexcept { return static_cast<StatusKind>(status & 0xF0); }
  /// Note-on with velocity > 0 (SMF 1.0 / MIDI 1.0: note-on with velocity 0 is a note-off).
  [[nodiscard]] constexpr bool is_note_on() const noexcept { return kind() == StatusKind::NoteOn && data2 != 0; }
  /// Note-off, or note-on with velocity 0 (MIDI 1.0).
  [[nodiscard]] constexpr bool is_note_off() const noexcept {
    return kind() == StatusKind::NoteOff || (kind() == StatusKind::NoteOn && data2 == 0);
  }
};
static_assert(sizeof(Event) == 16);

/// One MTrk chunk.
struct Track {
  std::pmr::vector<Event> events;  ///< in file order, ticks non-decreasing
  std::uint32_t chunk_offset = 0;  ///< offset of the "MTrk" id in the file
  std::uint32_t chunk_length = 0;  ///< the length field as written
  bool has_end_of_track = false;

  explicit Track(std::pmr::memory_resource* mr) : events(mr) {}
};

/// The MThd chunk's content (SMF 1.0 "Header Chunks").
struct Header {
  std::uint16_t format = 0;           ///< as written: 0, 1 or 2 (others get a diagnostic and are timed as 1)
  std::uint16_t declared_tracks = 0;  ///< ntrks as written
  std::uint16_t division = 0;         ///< raw division word
  [[nodiscard]] constexpr bool is_smpte() const noexcept { return (division & 0x8000U) != 0; }
  /// Ticks per quarter note; 0 when the division is SMPTE.
  [[nodiscard]] constexpr std::uint16_t ppq() const noexcept { return is_smpte() ? 0 : division; }
  /// SMPTE frames per second (24, 25, 29 for 30 drop-frame, 30); 0 for metrical time.
  [[nodiscard]] constexpr std::uint8_t smpte_fps() const noexcept {
    return is_smpte() ? static_cast<std::uint8_t>(-static_cast<std::int8_t>(division >> 8)) : 0;
  }
  /// Ticks per SMPTE frame; 0 for metrical time.
  [[nodiscard]] constexpr std::uint8_t ticks_per_frame() const noexcept {
    return is_smpte() ? static_cast<std::uint8_t>(division & 0xFF) : 0;
  }
};

/// The outcome of reading one file: ok (read as written), recovered (read with repairs, see the
/// diagnostics), failed (not readable; the failure says why). The database's `files.status`.
enum class ParseStatus : std::uint8_t { Ok, Recovered, Failed };
/// "ok", "recovered", "failed".
[[nodiscard]] std::string_view to_string(ParseStatus status) noexcept;

struct ParseOptions {
  /// Strict mode: the first repair stops the parse with `Fatal::StrictViolation`.
  bool strict = false;
};

/// A parsed Standard MIDI File.
///
/// Lifetime: the object views the input bytes (`bytes()`, `payload()`), so the input must outlive
/// it; its vectors live in the memory resource given to `parse`, so that resource must outlive
/// it too (for a `monotonic_buffer_resource`: destroy the `Smf` before calling `release()`).
class Smf {
 public:
  explicit Smf(std::pmr::memory_resource* mr) : tracks_(mr), diagnostics_(mr) {}

  [[nodiscard]] const Header& header() const noexcept { return header_; }
  [[nodiscard]] std::span<const Track> tracks() const noexcept { return tracks_; }
  [[nodiscard]] std::span<const Diagnostic> diagnostics() const noexcept { return diagnostics_; }
  [[nodiscard]] const std::optional<Failure>& failure() const noexcept { return failure_; }
  [[nodiscard]] ParseStatus status() const noexcept {
    if (failure_) return ParseStatus::Failed;
    return diagnostics_.empty() ? ParseStatus::Ok : ParseStatus::Recovered;
  }
  /// True when the SMF was found inside a RIFF RMID `data` chunk.
  [[nodiscard]] bool riff() const noexcept { return riff_; }
  /// The whole input as given to `parse` (RIFF wrapper included).
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return bytes_; }
  /// Payload of a meta or sysex event: a view into the input, valid while the input lives.
  [[nodiscard]] std::span<const std::byte> payload(const Event& e) const noexcept {
    return bytes_.subspan(e.offset, e.length);
  }
  /// Total events over all tracks.
  [[nodiscard]] std::size_t event_count() const noexcept;

 private:
  friend class Reader;
  Header header_{};
  std::pmr::vector<Track> tracks_;
  std::pmr::vector<Diagnostic> diagnostics_;
  std::optional<Failure> failure_;
  std::span<const std::byte> bytes_;
  bool riff_ = false;
};

/// Parses `bytes` as a Standard MIDI File (or a RIFF RMID file holding one).
///
/// Allocates only from `mr`: per track one event vector reserved from the chunk length, grown
/// geometrically, so memory stays proportional to the input whatever its length fields claim.
/// Never reads outside `bytes`. Never throws except `std::bad_alloc` from `mr`.
///
/// On a fatal problem the result's `failure()` is set; tracks read before it stay available.
[[nodiscard]] Smf parse(std::span<const std::byte> bytes, std::pmr::memory_resource* mr,
                        const ParseOptions& options = {});

}  // namespace midisift::parse
