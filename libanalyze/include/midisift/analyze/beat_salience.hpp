// Beat salience of a performance's onsets: how likely each onset is to fall on a notated beat,
// learned from annotated performances, and the onset train it gives the tempo estimate.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>
#include <string_view>
#include <vector>

#include "midisift/analyze/estimate.hpp"
#include "midisift/parse/smf.hpp"

namespace midisift::analyze {

/// One note of a performance, in seconds.
struct PerformedNote {
  double seconds = 0.0;     ///< onset, seconds from the start of the file
  float duration = 0.0F;    ///< seconds from onset to release, >= 0
  std::uint8_t pitch = 0;   ///< MIDI key number
  std::uint8_t velocity = 0;  ///< 1-127
};

/// The notes of `smf` in seconds through its tempo map, in onset order (as `extract_notes`).
/// Storage from `mr`; empty for a file with no notes.
[[nodiscard]] std::pmr::vector<PerformedNote> performed_notes(const parse::Smf& smf, std::pmr::memory_resource* mr);

/// Number of features of an onset group, and their names in order (for training and docs).
inline constexpr std::size_t kBeatFeatureCount = 14;
[[nodiscard]] const std::array<std::string_view, kBeatFeatureCount>& beat_feature_names() noexcept;

/// One onset group (the notes starting within 30 ms of the group's first, as the tempo estimate
/// merges them) and what the model sees of it: the group's size, loudness, register, durations and
/// inter-onset intervals, and how it stands out from the groups within 1 or 2 s (their mean, or
/// their lowest pitch): a beat is marked by what stands out locally more than by absolute values.
struct BeatFeatures {
  double seconds = 0.0;  ///< the group's first onset
  std::array<float, kBeatFeatureCount> x{};
};

/// The onset groups of `notes` (sorted by onset seconds) and their features. Storage from `mr`.
/// Cost: linear in the notes (prefix sums for the local means, a sliding minimum for the pitch).
[[nodiscard]] std::pmr::vector<BeatFeatures> beat_features(std::span<const PerformedNote> notes,
                                                           std::pmr::memory_resource* mr);

/// The probability, in (0, 1), that an onset group with features `x` lies within 50 ms of a
/// notated beat: a gradient-boosted tree ensemble (10 trees of at most 4 leaves, logistic loss)
/// trained by `scripts/train_beat_salience.py` on the development part of ASAP's annotated
/// performances (Foscarin et al., ISMIR 2020: the composers before Schubert). Out-of-fold (three
/// folds of composers) it ranks beat onsets above the others with an AUC of 0.761. Cost: 30
/// comparisons, without branches, and one exp.
[[nodiscard]] float beat_probability(const std::array<float, kBeatFeatureCount>& x) noexcept;

/// The onset train for the tempo of a performance: one onset per group, weighted by its beat
/// probability cubed (sharpened so that groups off the beat barely count; `estimate_tempo` then
/// takes the square root). Weighting by learned beat salience instead of durational accent puts the
/// autocorrelation's mass on the beat's period rather than its subdivisions (docs/tempo.md: on
/// ASAP's development performances acc2 0.59 to 0.66 out of fold). Storage from `mr`.
[[nodiscard]] std::pmr::vector<Onset> beat_salient_onsets(std::span<const PerformedNote> notes,
                                                          std::pmr::memory_resource* mr);

}  // namespace midisift::analyze
