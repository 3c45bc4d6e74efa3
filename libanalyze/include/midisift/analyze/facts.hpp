// First facts about a parsed Standard MIDI File: event counts, timing, pitch range, channels.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>

#include "midisift/parse/smf.hpp"

namespace midisift::analyze {

/// Default tempo when a file sets none: 500,000 microseconds per quarter note = 120 BPM
/// (SMF 1.0 "Set Tempo").
inline constexpr std::uint32_t kDefaultTempo = 500'000;

/// Per-file facts. Counts are over all tracks; events after End of Track count too (as mido does).
struct FileFacts {
  std::uint16_t format = 0;
  std::uint32_t tracks = 0;           ///< MTrk chunks read
  std::uint16_t ppq = 0;              ///< ticks per quarter note; 0 for SMPTE division
  std::uint8_t smpte_fps = 0;         ///< SMPTE frames per second; 0 for metrical division
  std::uint8_t ticks_per_frame = 0;   ///< SMPTE ticks per frame; 0 for metrical division
  std::uint64_t note_on_events = 0;   ///< note-on with velocity > 0
  std::uint64_t channel_events = 0;   ///< channel voice and mode messages (status 0x80-0xEF)
  std::uint64_t meta_events = 0;      ///< meta events, End of Track included
  std::uint64_t sysex_events = 0;     ///< F0 and F7 events
  std::uint32_t end_tick = 0;         ///< largest absolute tick of any track's last event
  /// `end_tick` in seconds through the tempo map of all tracks' set-tempo events (`TempoMap`: a
  /// Set Tempo of 0 stops the clock). Absent for format 2 (tracks are independent sequences),
  /// SMPTE division and division 0.
  std::optional<double> duration_seconds;
  std::uint32_t tempo_changes = 0;    ///< set-tempo meta events (3-byte payload or longer)
  /// 60e6 / the first set-tempo at tick 0 in track order, else 120. Absent for a tempo of 0.
  std::optional<double> initial_bpm;
  std::optional<std::uint8_t> pitch_min;  ///< over note-ons (velocity > 0); absent when none
  std::optional<std::uint8_t> pitch_max;
  std::uint16_t channel_mask = 0;     ///< bit c set when channel c (0-15) has a channel event
};

/// The tempo of a Set Tempo meta event (FF 51 03 tttttt, SMF 1.0 "Set Tempo"): microseconds per
/// quarter note, 24-bit big-endian; a longer payload uses its first three bytes, as mido does.
/// Absent for any other event or a payload shorter than 3 bytes. A tempo of 0 is returned as is.
/// Inline: it is called for every event of every track.
[[nodiscard]] inline std::optional<std::uint32_t> tempo_of(const parse::Smf& smf, const parse::Event& e) noexcept {
  if (!e.is_meta(parse::MetaType::SetTempo) || e.length < 3) return std::nullopt;
  const auto p = smf.payload(e);
  return (std::to_integer<std::uint32_t>(p[0]) << 16) | (std::to_integer<std::uint32_t>(p[1]) << 8) |
         std::to_integer<std::uint32_t>(p[2]);
}

/// Computes the facts of `smf`. Temporary storage comes from `mr` (a few bytes per tempo change).
[[nodiscard]] FileFacts compute_facts(const parse::Smf& smf, std::pmr::memory_resource* mr);

/// Tempo at a tick: microseconds per quarter note in force from `tick` on.
struct TempoChange {
  std::uint32_t tick;
  std::uint32_t tempo;
};

/// MD5 (RFC 1321) of `bytes`, the file identifier used by the Lakh MIDI Dataset and GigaMIDI.
[[nodiscard]] std::array<std::uint8_t, 16> md5(std::span<const std::byte> bytes);
/// Lower-case hex of a digest.
[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> digest);

}  // namespace midisift::analyze
