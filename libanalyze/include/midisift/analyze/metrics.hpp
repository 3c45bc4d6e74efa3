// The corpus metrics of MusPy (Dong et al., "MusPy: A Toolkit for Symbolic Music Generation",
// ISMIR 2020; muspy/metrics/metrics.py, version 0.5), computed on ticks as muspy.read_midi does
// (muspy's resolution = the file's ppq, one time step = one tick).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "midisift/analyze/estimate.hpp"
#include "midisift/analyze/notes.hpp"

namespace midisift::analyze {

/// MusPy's metrics. "Drums" are notes on channel 10 (muspy's is_drum tracks). A value MusPy returns
/// as NaN is absent here. `length` below is the latest note end, in ticks.
struct MuspyMetrics {
  /// Highest minus lowest pitch of the non-drum notes; 0 when there is none.
  std::uint8_t pitch_range = 0;
  std::uint8_t n_pitches_used = 0;        ///< distinct pitches, drums ignored
  std::uint8_t n_pitch_classes_used = 0;  ///< distinct pitch classes, drums ignored
  /// Mean number of distinct pitches sounding over the ticks where at least one sounds (drums ignored).
  std::optional<double> polyphony;
  /// Share of the `length` ticks where more than 2 distinct pitches sound (muspy's default
  /// threshold, compared with `>` as muspy does; drums ignored).
  std::optional<double> polyphony_rate;
  /// Share of non-drum notes whose pitch class is in the scale of the estimated key (muspy's major
  /// scale, or natural minor).
  std::optional<double> pitch_in_scale_rate;
  /// Largest pitch-in-scale rate over the 24 major and natural-minor scales.
  std::optional<double> scale_consistency;
  std::optional<double> pitch_entropy;        ///< Shannon entropy (bits) of the note-count pitch histogram
  std::optional<double> pitch_class_entropy;  ///< same over the 12 pitch classes
  /// Share of beats (ppq ticks, from tick 0 to `length`) in which no note (drums included) sounds;
  /// a note covers the beats from onset / ppq to end / ppq inclusive, as in muspy.
  std::optional<double> empty_beat_rate;
  /// Share of drum notes on muspy's duple grid: beat positions 0, 1/4, 1/2, 3/4 (those ppq allows).
  /// (muspy's triple grid, 0, 1/3, 2/3, enters `drum_pattern_consistency`.)
  std::optional<double> drum_in_pattern_rate;
  /// Larger of the duple and triple drum-in-pattern rates.
  std::optional<double> drum_pattern_consistency;
  /// 1 - mean Hamming distance between the onset vectors (one entry per tick of the bar) of
  /// neighbouring bars, bars of the first time signature's length (all notes, drums included).
  /// Absent with fewer than two bars.
  std::optional<double> groove_consistency;
};

/// Polyphony counted in notes (a unison of two tracks counts twice), drums excluded.
struct PolyphonyStats {
  std::uint32_t max_notes = 0;            ///< most notes sounding at once
  std::optional<double> mean_notes;       ///< mean over the ticks where at least one note sounds
};

/// Computes MusPy's metrics over `notes` (sorted by onset), with `ppq` ticks per quarter note,
/// `bar_ticks` ticks per bar (first time signature), and `key` for the pitch-in-scale rate.
/// Temporary storage (the sounding notes, one bar of onsets) from `mr`. When `sweep` is given, the
/// same sweep also fills it.
[[nodiscard]] MuspyMetrics compute_muspy_metrics(std::span<const Note> notes, std::uint16_t ppq,
                                                 std::uint64_t bar_ticks, std::optional<Key> key,
                                                 std::pmr::memory_resource* mr,
                                                 PolyphonyStats* sweep = nullptr);

}  // namespace midisift::analyze
