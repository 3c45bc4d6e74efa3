// Content fingerprints (musical duplicates) and loop candidates (repeating bars).
#pragma once

#include <array>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <span>
#include <vector>

#include "midisift/analyze/notes.hpp"

namespace midisift::analyze {

/// 128-bit content fingerprint (XXH3-128) of the notes, independent of how the file spells them.
///
/// Hashed: for every note, its onset and duration in quarter notes and its pitch, with a flag for the
/// drum channel, in canonical order (onset, pitch, duration, drum). Onsets and durations are exact
/// rationals: ticks and ppq are divided by their greatest common divisor, so a file re-saved at
/// another ppq with the same musical times has the same fingerprint. Not hashed: track order and
/// count, channel (other than drums), velocity, program, tempo, meta events and the byte encoding
/// (running status, note-off as velocity 0, ...). Two files with the same fingerprint play the same
/// notes at the same score positions. Absent when there are no notes or ppq is 0.
[[nodiscard]] std::optional<std::array<std::uint8_t, 16>> fingerprint(std::span<const Note> notes,
                                                                       std::uint16_t ppq,
                                                                       std::pmr::memory_resource* mr);

/// A segment of a track, bar-aligned, that repeats back to back.
struct LoopCandidate {
  std::uint16_t track = 0;
  std::uint32_t start_bar = 0;   ///< 0-based bar index (MeterMap)
  std::uint8_t bars = 0;         ///< 1, 2, 4 or 8
  std::uint32_t repeats = 0;     ///< consecutive occurrences, >= 2
  std::uint32_t start_tick = 0;  ///< first tick of the first occurrence
  std::uint32_t end_tick = 0;    ///< first tick after the first occurrence
  std::uint32_t notes = 0;       ///< notes starting in the first occurrence
  bool exact = false;            ///< every repeat identical to the tick, velocities included
  bool drum = false;             ///< every note of the segment on the drum channel
};

/// Loop tolerance: onsets and durations relative to the bar are rounded to 1/24 of a quarter note
/// (MusPy's default resolution) and velocities ignored before bars are compared.
inline constexpr std::uint32_t kLoopGridPerQuarter = 24;

/// Finds, in each track, segments of 1, 2, 4 or 8 bars that occur at least twice in a row.
/// A segment made of two identical halves is reported at the half length only; a run of repeats is
/// reported once, at its first bar. At most `max_candidates` are returned (longest runs in bars
/// first). `notes` sorted by onset; `bars` from `MeterMap::bars()`.
[[nodiscard]] std::pmr::vector<LoopCandidate> find_loops(std::span<const Note> notes,
                                                         std::span<const std::uint32_t> bars, std::uint16_t ppq,
                                                         std::pmr::memory_resource* mr,
                                                         std::size_t max_candidates = 64);

}  // namespace midisift::analyze
