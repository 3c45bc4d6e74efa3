// Failures and repairs reported by the Standard MIDI File reader.
//
// The reader is lenient: damage it can repair becomes a `Diagnostic` (code, track, byte offset)
// and parsing goes on; damage it cannot get past is a `Fatal` status. The hot path only stores
// codes; `to_string` builds text at the edge (CLI, database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace midisift::parse {

/// Why a file could not be read at all. No tracks are available after one of these.
enum class Fatal : std::uint8_t {
  EmptyFile,        ///< zero bytes: nothing to map, nothing to parse
  NotAFile,         ///< the path is a directory or another non-regular file
  Io,               ///< open/stat/map failed (the errno text is in the message)
  TooLarge,         ///< over 4 GiB: byte offsets are 32-bit
  NotMidi,          ///< no MThd chunk at the start (nor inside a RIFF RMID `data` chunk)
  TruncatedHeader,  ///< the file ends inside the MThd chunk's first 6 data bytes
  NoTracks,         ///< a valid header but no MTrk chunk could be found
  StrictViolation,  ///< strict mode: the first repair below became a failure
  Vanished,         ///< the path was listed but no longer exists when it is opened
  Unstable,         ///< size or modification time changed while the file was read (still being written)
};

/// A repair the lenient reader made. Each names a departure from SMF 1.0 (MMA, 1996) that real
/// collections contain.
enum class Recovered : std::uint8_t {
  LeadingGarbage,           ///< bytes before MThd (e.g. a MacBinary header); skipped
  HeaderLengthNot6,         ///< MThd length field is not 6 (SMF 1.0 "Header Chunks")
  UnknownFormat,            ///< format other than 0, 1, 2; kept as written, timed as format 1
  ZeroDivision,             ///< division 0 ticks per quarter note: no tick has a duration
  Format0MultipleTracks,    ///< format 0 must hold exactly one MTrk (SMF 1.0 "Formats 0, 1, and 2")
  TrackCountMismatch,       ///< MTrk chunks found differ from the header's ntrks
  ChunkPastEof,             ///< a chunk length reaches past the end of the file; clamped
  TrackLengthTooLong,       ///< End of Track is followed by the next "MTrk": the length overshot
  TrackLengthTooShort,      ///< events continue past the MTrk length; read up to End of Track
  SkippedGarbage,           ///< bytes between chunks that are no chunk header; skipped to MTrk
  TrailingBytes,            ///< bytes after the last chunk that are no chunk
  TruncatedEvent,           ///< the track ends inside an event; partial meta payload kept
  MissingEndOfTrack,        ///< no FF 2F 00 in the track (SMF 1.0 "End of Track" is mandatory)
  EventsAfterEndOfTrack,    ///< events between End of Track and the chunk end; kept, as mido does
  RunningStatusAfterMeta,   ///< data byte after a meta event; the last channel status reused
  RunningStatusAfterSysex,  ///< data byte after a sysex event; the last channel status reused
  RunningStatusUnset,       ///< data byte before any channel status; the byte is skipped
  DataByteOver127,          ///< a byte >= 0x80 where a data byte belongs; message dropped, byte
                            ///< re-read as the next status with delta 0
  UndefinedStatusByte,      ///< F4, F5, F9 or FD inside a track; skipped (1 byte)
  SystemMessageInTrack,     ///< system common or real-time message (F1-F3, F6, F8-FE) in a track
  VlqTooLong,               ///< variable-length quantity of more than 4 bytes (SMF 1.0 caps at 4)
  TickOverflow,             ///< absolute tick past 2^32 - 1; clamped
  TrackIdCase,              ///< "mtrk", "MTRK"...: an MTrk id in the wrong case, read as MTrk
  MetaLengthMismatch,       ///< a meta event of fixed length (SMF 1.0: Set Tempo 3, Time Signature
                            ///< 4, Key Signature 2, SMPTE Offset 5, ...) with another length; kept
  ConcatenatedSmf,          ///< a second MThd after the tracks: another SMF appended (game data);
                            ///< it ends the file, the rest is trailing data (mido reads the first)
};

inline constexpr std::size_t kRecoveredCount = static_cast<std::size_t>(Recovered::ConcatenatedSmf) + 1;

/// One repair: what, in which track (0-based MTrk index; 0xFFFF for file-level repairs) and at
/// which byte offset of the file (RIFF wrapper included).
struct Diagnostic {
  Recovered code;
  std::uint16_t track;
  std::uint32_t offset;

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

inline constexpr std::uint16_t kFileLevel = 0xFFFF;

/// What stopped a parse, when something did.
struct Failure {
  Fatal code;
  std::uint32_t offset = 0;               ///< where in the file it happened
  std::optional<Recovered> strict_cause;  ///< the repair strict mode refused
};

/// A sentence for people, e.g. "no MThd chunk (not a Standard MIDI File) at byte 0". Builds a
/// string: for the edges (CLI, database), never the parse loop.
[[nodiscard]] std::string describe(const Failure& failure);

/// Stable snake_case names, used in the database and the CLI (e.g. "chunk_past_eof").
[[nodiscard]] std::string_view to_string(Recovered code) noexcept;
[[nodiscard]] std::string_view to_string(Fatal code) noexcept;

}  // namespace midisift::parse
