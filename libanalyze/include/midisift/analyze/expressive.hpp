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
///
/// `grid_offset_ticks` (see `grid_offset`) shifts the grid: each onset is measured at `onset -
/// offset`, and an onset within `grid_tolerance(ppq)` ticks of the shifted sixteenth grid counts as
/// on it. A file quantised to a grid that starts a constant number of ticks late (POP909's songs,
/// aligned to their audio) is then quantised; GigaMIDI measures against the grid at tick 0.
[[nodiscard]] std::pmr::vector<std::optional<double>> nomml_per_track(std::span<const Note> notes,
                                                                      std::size_t tracks, std::uint16_t ppq,
                                                                      std::pmr::memory_resource* mr,
                                                                      std::uint32_t grid_offset_ticks = 0);

/// The ticks by which an onset may miss a grid point and still lie on it: ppq / 480 (1 at the
/// common 480, 0 below it). Sequencers that quantise to a grid placed at a fractional tick round
/// to its two neighbours (POP909 song 015: 66 % at one tick, 33 % at the next).
[[nodiscard]] constexpr std::uint32_t grid_tolerance(std::uint16_t ppq) noexcept { return ppq / 480U; }

/// The phase of the quarter-note grid the onsets follow, in ticks 0 .. ppq - 1: 0 for a file
/// quantised as notated, k when every beat falls k ticks after the notated one.
/// Rule: first the sixteenth's phase, the residue of onset mod (ppq / 4) held by the most onsets
/// (give or take `grid_tolerance`, the residue 0 on a tie); then, of the four quarter-note phases
/// that share it, the one whose onsets hold the most note duration (each note's duration clamped
/// to 4 quarter notes, drums included): notes that sound long start on the beat (the durational
/// accent of Parncutt 1994; on POP909's odd songs this finds the annotated beat's phase in 450 of
/// 455). Where the sixteenth's phase is 0 (the notated grid), the notated beat stands unless
/// another holds more than 1.5 times its accent. When ppq is not a multiple of 4 only the
/// quarter's residue is used. Absent without notes or at ppq 0. Storage from `mr`, ppq words.
[[nodiscard]] std::optional<std::uint32_t> grid_offset(std::span<const Note> notes, std::uint16_t ppq,
                                                       std::pmr::memory_resource* mr);

/// A file is an expressive performance when the tracks whose NOMML is 12 (GigaMIDI's expressive
/// class: more than half of the onsets off every grid) hold more than half of its notes. Absent
/// without notes or at ppq 0.
[[nodiscard]] std::optional<bool> expressive(std::span<const std::optional<double>> nomml,
                                             std::span<const Note> notes) noexcept;

}  // namespace midisift::analyze
