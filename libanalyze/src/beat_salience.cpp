#include "midisift/analyze/beat_salience.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory_resource>
#include <vector>

#include "midisift/analyze/notes.hpp"

namespace midisift::analyze {

namespace {

// One tree of the ensemble, laid out complete to depth 3 so that it is walked without branches:
// split i (heap order: children of i at 2i + 1 and 2i + 2) goes right when x[feature[i]] >
// threshold[i]; leaf j adds value[j] to the raw score (log-odds). A shallower leaf of the trained
// tree fills every slot below it, its splits never going right (threshold +infinity). Thresholds
// are the largest float not above the trained (double) threshold: for a float feature the same
// decision, without converting it.
struct BeatTree {
  std::array<std::uint8_t, 7> feature;
  std::array<float, 7> threshold;
  std::array<double, 8> value;
};

// The leaf of tree `t` that features `x` reach, 0-7.
inline std::size_t leaf(const BeatTree& t, const std::array<float, kBeatFeatureCount>& x) noexcept {
  std::size_t i = 0;
  for (int depth = 0; depth < 3; ++depth) i = 2 * i + 1 + static_cast<std::size_t>(x[t.feature[i]] > t.threshold[i]);
  return i - 7;
}

#include "beat_salience_model.inc"

constexpr double kMerge = 0.030;  // as the tempo estimate: notes within 30 ms of a group's first are one onset

// Aggregates of one onset group.
struct Group {
  double seconds;
  std::uint32_t count = 0;  // notes
  float accent = 0;         // the sum of their durational accents
  float velocity_max = 0, duration_max = 0;
  int pitch_min = 128, pitch_max = -1;
};

// The natural logarithms of a group's velocity, accent, notes, longest duration and the
// inter-onset interval after it (T = float), or their running sums (T = double: a long
// performance's sums keep the precision of their differences).
template <typename T>
struct Logs {
  T velocity = 0, accent = 0, notes = 0, duration = 0, ioi_after = 0;
  template <typename U>
  [[nodiscard]] Logs<T> plus(const Logs<U>& b) const noexcept {
    return {velocity + b.velocity, accent + b.accent, notes + b.notes, duration + b.duration, ioi_after + b.ioi_after};
  }
  // The mean of the groups whose sums run from `a` (exclusive) to this (inclusive), n of them.
  [[nodiscard]] Logs<float> mean_since(const Logs<T>& a, std::size_t n) const noexcept {
    const T r = T{1} / static_cast<T>(n);
    return {static_cast<float>((velocity - a.velocity) * r), static_cast<float>((accent - a.accent) * r),
            static_cast<float>((notes - a.notes) * r), static_cast<float>((duration - a.duration) * r),
            static_cast<float>((ioi_after - a.ioi_after) * r)};
  }
};

// Natural logarithms of the small counts the features take (velocities, notes in a group), from a
// table.
float small_log(std::size_t n) noexcept {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (std::size_t i = 1; i < t.size(); ++i) t[i] = std::log(static_cast<float>(i));
    return t;
  }();
  return n < table.size() ? table[n] : std::log(static_cast<float>(n));
}

}  // namespace

std::pmr::vector<PerformedNote> performed_notes(const parse::Smf& smf, std::pmr::memory_resource* mr) {
  std::pmr::vector<PerformedNote> out(mr);
  const NoteList list = extract_notes(smf, mr);
  const TempoMap map(smf, mr);
  TempoMap::Cursor clock(map);
  out.reserve(list.notes.size());
  for (const Note& n : list.notes) {
    const double on = clock.seconds(n.onset);
    out.push_back({on, static_cast<float>(std::max(0.0, map.seconds(n.end) - on)), n.pitch, n.velocity});
  }
  return out;
}

const std::array<std::string_view, kBeatFeatureCount>& beat_feature_names() noexcept {
  static constexpr std::array<std::string_view, kBeatFeatureCount> kNames{
      "log_accent",     "log_velocity",  "lowest_pitch", "pitch_span",     "log_duration",
      "log_ioi_before", "log_ioi_after", "ioi_ratio",    "velocity_vs_1s", "accent_vs_2s",
      "notes_vs_2s",    "duration_vs_2s", "ioi_after_vs_2s", "lowest_above_1s"};
  return kNames;
}

std::pmr::vector<BeatFeatures> beat_features(std::span<const PerformedNote> notes, std::pmr::memory_resource* mr) {
  std::pmr::vector<Group> g(mr);
  double start = -1e300;
  for (const PerformedNote& n : notes) {
    if (g.empty() || !(n.seconds - start < kMerge)) {
      start = n.seconds;
      g.push_back(Group{n.seconds});
    }
    Group& x = g.back();
    x.count += 1;
    // Parncutt's durational accent (as `durational_accent`), in float: it is summed into a float.
    x.accent += 1.0F - std::exp(-n.duration / 0.5F);
    x.velocity_max = std::max<float>(x.velocity_max, n.velocity);
    x.duration_max = std::max(x.duration_max, n.duration);
    x.pitch_min = std::min<int>(x.pitch_min, n.pitch);
    x.pitch_max = std::max<int>(x.pitch_max, n.pitch);
  }
  const std::size_t k = g.size();
  std::pmr::vector<BeatFeatures> out(mr);
  if (k == 0) return out;
  out.reserve(k);
  // Per group, the logarithms that the features compare, and their running sums (sums[i] covers
  // groups 0 to i - 1) for the local means.
  std::pmr::vector<Logs<float>> logs(mr);
  std::pmr::vector<Logs<double>> sums(mr);
  logs.reserve(k);
  sums.reserve(k + 1);
  sums.push_back(Logs<double>{});
  for (std::size_t i = 0; i < k; ++i) {
    const float after = i + 1 < k ? static_cast<float>(g[i + 1].seconds - g[i].seconds) : 1.0F;
    logs.push_back({small_log(static_cast<std::size_t>(std::max(1.0F, g[i].velocity_max))),
                    std::log(g[i].accent + 1e-3F), small_log(g[i].count),
                    std::log(std::max(0.02F, g[i].duration_max)), std::log(std::max(0.02F, after))});
    sums.push_back(sums.back().plus(logs.back()));
  }
  // The groups within 1 s and within 2 s of group i: [lo, hi), two pointers each (both ends only
  // move forward). The lowest pitch within 1 s: a monotonic deque of group indices whose lowest
  // pitches ascend (Lemire's streaming minimum), its front the window's minimum.
  std::size_t lo1 = 0, hi1 = 0, lo2 = 0, hi2 = 0;
  std::pmr::vector<std::uint32_t> lows(mr);
  lows.reserve(k);
  std::size_t front = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const double t = g[i].seconds;
    while (g[lo1].seconds < t - 1.0) ++lo1;
    while (g[lo2].seconds < t - 2.0) ++lo2;
    while (hi1 < k && g[hi1].seconds <= t + 1.0) {
      while (lows.size() > front && g[lows.back()].pitch_min >= g[hi1].pitch_min) lows.pop_back();
      lows.push_back(static_cast<std::uint32_t>(hi1++));
    }
    while (hi2 < k && g[hi2].seconds <= t + 2.0) ++hi2;
    while (lows[front] < lo1) ++front;
    const Logs<float>& l = logs[i];
    const Logs<float> near1 = sums[hi1].mean_since(sums[lo1], hi1 - lo1);
    const Logs<float> near2 = sums[hi2].mean_since(sums[lo2], hi2 - lo2);
    const float before = i > 0 ? logs[i - 1].ioi_after : 0.0F;  // the first group: 1 s before it, log 1
    out.push_back({t,
                   {l.accent, l.velocity, static_cast<float>(g[i].pitch_min - 60) / 12.0F,
                    static_cast<float>(g[i].pitch_max - g[i].pitch_min) / 12.0F, l.duration, before, l.ioi_after,
                    l.ioi_after - before, l.velocity - near1.velocity, l.accent - near2.accent,
                    l.notes - near2.notes, l.duration - near2.duration, l.ioi_after - near2.ioi_after,
                    static_cast<float>(g[i].pitch_min - g[lows[front]].pitch_min)}});
  }
  return out;
}

float beat_probability(const std::array<float, kBeatFeatureCount>& x) noexcept {
  double raw = kBeatBaseline;
  for (const BeatTree& t : kBeatTrees) raw += t.value[leaf(t, x)];
  return static_cast<float>(1.0 / (1.0 + std::exp(-raw)));
}

std::pmr::vector<Onset> beat_salient_onsets(std::span<const PerformedNote> notes, std::pmr::memory_resource* mr) {
  const auto features = beat_features(notes, mr);
  // Tree by tree over all groups (the same sums, in the same order, as `beat_probability`): the
  // groups' walks are independent, so the processor overlaps them.
  std::pmr::vector<double> raw(features.size(), kBeatBaseline, mr);
  for (const BeatTree& t : kBeatTrees) {
    for (std::size_t j = 0; j < features.size(); ++j) raw[j] += t.value[leaf(t, features[j].x)];
  }
  std::pmr::vector<Onset> out(mr);
  out.reserve(features.size());
  for (std::size_t j = 0; j < features.size(); ++j) {
    const auto p = static_cast<float>(1.0 / (1.0 + std::exp(-raw[j])));
    out.push_back({features[j].seconds, p * p * p});
  }
  return out;
}

}  // namespace midisift::analyze
