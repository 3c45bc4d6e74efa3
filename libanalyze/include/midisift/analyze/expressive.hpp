// Expressive performance or quantised sequence: the note onset median metric level (NOMML) of
// Lee, Ens, Adkins, Sarmento, Barthet & Pasquier, "The GigaMIDI dataset with features for
// expressive music performance detection", TISMIR 2025.
#pragma once

#include <cstdint>
#include <memory_resource>
#include <optional>
#include <span>
#include <vector>

#include "midisift/analyze/notes.hpp"

namespace midisift::analyze {

/// The metric levels of NOMML: grids of a quarter note divided by 1, 2, 3, 4, 6, 8, 12, 16, 24,
/// 32, 48 and 64 (quarter, eighth, eighth-note triplet, sixteenth, ... 128th-note triplet,
/// 256th), coarsest first. Level 12 is off every grid.
inline constexpr std::uint8_t kMetricLevels = 12;

/// The metric level of an onset at `tick` with `ppq` ticks per quarter note: the index of the
/// coarsest grid of `kMetricLevels` it lies on exactly (tick * divisor divisible by ppq), 12 when
/// on none. 0 for ppq 0.
[[nodiscard]] std::uint8_t metric_level(std::uint32_t tick, std::uint16_t ppq) noexcept;

/// NOMML per track: the median metric level of the onsets of each track's notes (drums included,
/// as GigaMIDI scores every track), the mean of the two middle levels for an even count. Indexed
/// by track; absent for a track without notes, and all absent for ppq 0 (SMPTE time has no metric
/// grid). `notes` as in `NoteList::notes`. Storage from `mr`.
///
/// Where this deviates from GigaMIDI: they measure tracks after their own preprocessing; here
/// every track is measured as written. At a ppq of 96 or less every tick lies on some grid
/// (1/64 and 1/48 of 96 ticks cover every third and second tick), so NOMML cannot see timing
/// deviations there and such files read as quantised.
[[nodiscard]] std::pmr::vector<std::optional<double>> nomml_per_track(std::span<const Note> notes,
                                                                      std::size_t tracks, std::uint16_t ppq,
                                                                      std::pmr::memory_resource* mr);

/// A file is an expressive performance when the tracks whose NOMML is 12 (GigaMIDI's expressive
/// class: more than half of the onsets off every grid) hold more than half of its notes. Absent
/// without notes or at ppq 0.
[[nodiscard]] std::optional<bool> expressive(std::span<const std::optional<double>> nomml,
                                             std::span<const Note> notes) noexcept;

}  // namespace midisift::analyze
