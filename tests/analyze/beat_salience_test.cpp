// Beat salience: the features by their definitions (worked out by hand below), the trained model's
// ranking of on-beat and off-beat onsets, and the tempo of a performance it weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory_resource>
#include <random>
#include <vector>

#include "midisift/analyze/beat_salience.hpp"
#include "midisift/analyze/music.hpp"
#include "song_builder.hpp"

namespace midisift::analyze {
namespace {

std::pmr::memory_resource* heap() { return std::pmr::new_delete_resource(); }

double accent(double d) { return 1.0 - std::exp(-d / 0.5); }  // Parncutt's durational accent

std::size_t feature(std::string_view name) {
  const auto& names = beat_feature_names();
  const auto it = std::find(names.begin(), names.end(), name);
  EXPECT_NE(it, names.end()) << name;
  return static_cast<std::size_t>(it - names.begin());
}

TEST(BeatFeatures, GroupsNotesWithin30MsAndComputesEachFeatureByItsDefinition) {
  // Group A at 0 s: C3 (velocity 80, 0.5 s), E4 (60, 0.25 s) and, 20 ms later, G4 (100, 0.1 s).
  // Group B at 0.5 s: C5 (40, 0.1 s). Group C at 1.25 s: D3 (90, 1 s).
  const std::vector<PerformedNote> notes = {
      {0.0, 0.5F, 48, 80}, {0.0, 0.25F, 64, 60}, {0.02, 0.1F, 67, 100}, {0.5, 0.1F, 72, 40}, {1.25, 1.0F, 50, 90}};
  const auto f = beat_features(notes, heap());
  ASSERT_EQ(f.size(), 3U);
  EXPECT_DOUBLE_EQ(f[0].seconds, 0.0);
  EXPECT_DOUBLE_EQ(f[1].seconds, 0.5);
  EXPECT_DOUBLE_EQ(f[2].seconds, 1.25);
  const auto& a = f[0].x;
  const auto& b = f[1].x;
  const auto& c = f[2].x;
  constexpr double kTol = 1e-5;
  const double acc_a = accent(0.5) + accent(0.25) + accent(0.1), acc_b = accent(0.1), acc_c = accent(1.0);
  EXPECT_NEAR(a[feature("log_accent")], std::log(acc_a + 1e-3), kTol);
  EXPECT_NEAR(a[feature("log_velocity")], std::log(100.0), kTol) << "the loudest note of the group";
  EXPECT_NEAR(a[feature("lowest_pitch")], (48 - 60) / 12.0, kTol);
  EXPECT_NEAR(a[feature("pitch_span")], (67 - 48) / 12.0, kTol);
  EXPECT_NEAR(a[feature("log_duration")], std::log(0.5), kTol) << "the longest note";
  EXPECT_NEAR(a[feature("log_ioi_before")], 0.0, kTol) << "the first group: 1 s before it";
  EXPECT_NEAR(a[feature("log_ioi_after")], std::log(0.5), kTol);
  EXPECT_NEAR(b[feature("ioi_ratio")], std::log(0.75) - std::log(0.5), kTol);
  EXPECT_NEAR(c[feature("log_ioi_after")], 0.0, kTol) << "the last group: 1 s after it";
  EXPECT_NEAR(b[feature("log_duration")], std::log(0.1), kTol);
  // Within 1 s of A: A and B (C is 1.25 s away). Within 1 s of B: all three.
  EXPECT_NEAR(a[feature("velocity_vs_1s")], std::log(100.0) - (std::log(100.0) + std::log(40.0)) / 2, kTol);
  EXPECT_NEAR(b[feature("velocity_vs_1s")],
              std::log(40.0) - (std::log(100.0) + std::log(40.0) + std::log(90.0)) / 3, kTol);
  EXPECT_NEAR(a[feature("lowest_above_1s")], 0.0, kTol);
  EXPECT_NEAR(b[feature("lowest_above_1s")], 72 - 48, kTol);
  EXPECT_NEAR(c[feature("lowest_above_1s")], 50 - 50, kTol) << "A is more than 1 s before C";
  // Within 2 s of each: all three.
  const double mean_acc = (std::log(acc_a + 1e-3) + std::log(acc_b + 1e-3) + std::log(acc_c + 1e-3)) / 3;
  EXPECT_NEAR(c[feature("accent_vs_2s")], std::log(acc_c + 1e-3) - mean_acc, kTol);
  EXPECT_NEAR(a[feature("notes_vs_2s")], std::log(3.0) - std::log(3.0) / 3, kTol);
  EXPECT_NEAR(b[feature("duration_vs_2s")], std::log(0.1) - (std::log(0.5) + std::log(0.1) + std::log(1.0)) / 3,
              kTol);
  EXPECT_NEAR(a[feature("ioi_after_vs_2s")], std::log(0.5) - (std::log(0.5) + std::log(0.75) + 0.0) / 3, kTol);

  EXPECT_TRUE(beat_features({}, heap()).empty());
}

// A performance at `bpm` with rubato: on each beat a loud bass note and chord, held; between beats
// three soft, short, high notes (sixteenths). Onsets jitter by up to 8 ms, as played.
std::vector<PerformedNote> played(double bpm, int beats, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.008, 0.008);
  std::vector<PerformedNote> out;
  double t = 0.5;
  for (int b = 0; b < beats; ++b) {
    const double beat = 60.0 / bpm * (1.0 + 0.06 * std::sin(b / 5.0));  // +-6 %, a phrase every ~30 beats
    for (const std::uint8_t p : {36, 55, 60, 64}) out.push_back({t + jitter(rng), 0.8F * static_cast<float>(beat), p, 88});
    for (int s = 1; s < 4; ++s) {
      out.push_back({t + s * beat / 4 + jitter(rng), 0.08F, static_cast<std::uint8_t>(76 + 2 * s), 52});
    }
    t += beat;
  }
  std::sort(out.begin(), out.end(), [](const PerformedNote& x, const PerformedNote& y) { return x.seconds < y.seconds; });
  return out;
}

TEST(BeatSalience, LoudLowLongOnsetsOnTheBeatOutweighSoftHighShortOnesBetween) {
  const auto notes = played(80.0, 120, 7);
  const auto groups = beat_features(notes, heap());
  ASSERT_EQ(groups.size(), 480U) << "a beat's chord is one group, each sixteenth another";
  double on = 0, off = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const float p = beat_probability(groups[i].x);
    ASSERT_GT(p, 0.0F);
    ASSERT_LT(p, 1.0F);
    (i % 4 == 0 ? on : off) += p;
  }
  on /= 120;
  off /= 360;
  EXPECT_GT(on, 2 * off) << "mean probability on the beat " << on << ", between beats " << off;
  // The onset train: one onset per group at its first note, weighted by the probability cubed.
  const auto train = beat_salient_onsets(notes, heap());
  ASSERT_EQ(train.size(), groups.size());
  for (std::size_t i = 0; i < train.size(); ++i) {
    const double p = beat_probability(groups[i].x);
    EXPECT_DOUBLE_EQ(train[i].seconds, groups[i].seconds);
    EXPECT_NEAR(train[i].weight, p * p * p, 1e-6);
  }
}

// A legato stream of sixteenths (equal velocity 60, each held to the next) with a short bass note
// (velocity 85, a third of a beat) on every beat, 80 BPM with the same +-6 % rubato and jitter.
std::vector<PerformedNote> stream_over_bass(int beats, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.008, 0.008);
  std::vector<PerformedNote> out;
  double t = 0.5;
  for (int b = 0; b < beats; ++b) {
    const double beat = 0.75 * (1.0 + 0.06 * std::sin(b / 5.0));
    out.push_back({t + jitter(rng), static_cast<float>(beat / 3), 40, 85});
    for (int s = 0; s < 4; ++s) {
      out.push_back({t + s * beat / 4 + jitter(rng), static_cast<float>(beat / 4), static_cast<std::uint8_t>(67 + (b + s) % 5), 60});
    }
    t += beat;
  }
  std::sort(out.begin(), out.end(), [](const PerformedNote& x, const PerformedNote& y) { return x.seconds < y.seconds; });
  return out;
}

TEST(BeatSalience, APerformanceWeightedByItGetsTheBeatNotItsSubdivision) {
  // Every onset is about as long as the next; only the bass marks the beat (80 BPM). Weighted by
  // durational accent, the autocorrelation is as strong at the half beat as at the beat, and the
  // 120-BPM prior takes 160; weighted by beat salience it takes the beat.
  for (const unsigned seed : {1U, 2U, 3U}) {
    const auto notes = stream_over_bass(160, seed);
    std::vector<Onset> by_accent;
    by_accent.reserve(notes.size());
    for (const auto& n : notes) by_accent.push_back({n.seconds, durational_accent(n.duration)});
    const auto old = estimate_tempo_with_rubato(by_accent, heap());
    ASSERT_TRUE(old);
    EXPECT_NEAR(old->bpm, 160.0, 160.0 * 0.04) << "seed " << seed << ": the half beat, by durational accent";
    const auto est = estimate_tempo_with_rubato(beat_salient_onsets(notes, heap()), heap());
    ASSERT_TRUE(est);
    EXPECT_NEAR(est->bpm, 80.0, 80.0 * 0.04) << "seed " << seed << ": the beat, by beat salience";
  }
}

}  // namespace
}  // namespace midisift::analyze
