#include "midisift/analyze/estimate.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory_resource>
#include <vector>

#include "rounding.hpp"

namespace midisift::analyze {

namespace {

struct Profiles {
  std::array<double, 12> major;
  std::array<double, 12> minor;
};

// Values as published (see KeyProfile); index 0 is the tonic.
constexpr Profiles kKrumhanslKessler{
    {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88},
    {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17}};
constexpr Profiles kTemperley{
    {0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400},
    {0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330}};
constexpr Profiles kAardenEssen{
    {17.7661, 0.145624, 14.9265, 0.160186, 19.8049, 11.3587, 0.291248, 22.062, 0.145624, 8.15494, 0.232998, 4.95122},
    {18.2648, 0.737619, 14.0499, 16.8599, 0.702494, 14.4362, 0.702494, 18.6161, 4.56621, 1.93186, 7.37619, 1.75623}};

constexpr Profiles kAlbrechtShanahan{
    {0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081},
    {0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052}};
constexpr Profiles kBellmanBudge{
    {16.80, 0.86, 12.95, 1.41, 13.49, 11.93, 1.25, 20.28, 1.80, 8.04, 0.62, 10.57},
    {18.16, 0.69, 12.99, 13.34, 1.07, 11.15, 1.38, 21.07, 7.49, 1.53, 0.92, 10.21}};

const Profiles& profiles_of(KeyProfile p) noexcept {
  switch (p) {
    case KeyProfile::KrumhanslKessler: return kKrumhanslKessler;
    case KeyProfile::Temperley: return kTemperley;
    case KeyProfile::AardenEssen: return kAardenEssen;
    case KeyProfile::AlbrechtShanahan: return kAlbrechtShanahan;
    case KeyProfile::BellmanBudge: return kBellmanBudge;
  }
  return kKrumhanslKessler;
}

// Weights of estimate_key(const KeyEvidence&) (see its docstring) and the softmax temperature.
constexpr double kOpeningWeight = 0.1, kEndingWeight = 0.2, kFinalBassWeight = 0.1, kKeySignatureWeight = 0.3;
constexpr double kTemperature = 0.1;
constexpr double kChangePenalty = 1.0;

// Softmax probability of index `i` among `scores` at kTemperature.
double softmax_at(const std::array<double, 24>& scores, std::size_t i) noexcept {
  const double top = *std::max_element(scores.begin(), scores.end());
  double sum = 0;
  for (const double x : scores) sum += std::exp((x - top) / kTemperature);
  return std::exp((scores[i] - top) / kTemperature) / sum;
}

bool flat(std::span<const double, 12> profile) noexcept {
  const auto [lo, hi] = std::minmax_element(profile.begin(), profile.end());
  return !(*hi > *lo);
}

// Pearson correlation of x with y rotated so that y[0] lines up with x[tonic].
double correlation(std::span<const double, 12> x, const std::array<double, 12>& y, int tonic) noexcept {
  double mx = 0, my = 0;
  for (int i = 0; i < 12; ++i) {
    mx += x[static_cast<std::size_t>(i)];
    my += y[static_cast<std::size_t>(i)];
  }
  mx /= 12;
  my /= 12;
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < 12; ++i) {
    const double dx = x[static_cast<std::size_t>((i + tonic) % 12)] - mx;
    const double dy = y[static_cast<std::size_t>(i)] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace

std::string_view to_string(Mode m) noexcept { return m == Mode::Major ? "major" : "minor"; }

std::string_view to_string(KeyProfile p) noexcept {
  switch (p) {
    case KeyProfile::KrumhanslKessler: return "Krumhansl-Kessler";
    case KeyProfile::Temperley: return "Temperley";
    case KeyProfile::AardenEssen: return "Aarden-Essen";
    case KeyProfile::AlbrechtShanahan: return "Albrecht-Shanahan";
    case KeyProfile::BellmanBudge: return "Bellman-Budge";
  }
  return "?";
}

std::array<double, 24> key_scores(std::span<const double, 12> profile) noexcept {
  // The mean of Pearson correlations with several profiles is one dot product: with x centred,
  // mean_p r_p = x . (mean_p of the centred, unit-length profile p) / |x|. The 24 combined and
  // rotated templates are computed once.
  struct Templates {
    std::array<std::array<double, 12>, 24> t{};
  };
  static const Templates templates = [] {
    Templates out;
    for (const KeyProfile kp : kKeyProfiles) {
      const Profiles& p = profiles_of(kp);
      for (int mode = 0; mode < 2; ++mode) {
        const auto& y = mode == 0 ? p.major : p.minor;
        double mean = 0;
        for (const double v : y) mean += v;
        mean /= 12;
        double norm = 0;
        for (const double v : y) norm += (v - mean) * (v - mean);
        norm = std::sqrt(norm);
        for (std::size_t tonic = 0; tonic < 12; ++tonic) {
          for (std::size_t i = 0; i < 12; ++i) {
            // y[i] lines up with the pitch class tonic + i.
            out.t[static_cast<std::size_t>(mode) * 12 + tonic][(tonic + i) % 12] +=
                (y[i] - mean) / norm / static_cast<double>(kKeyProfiles.size());
          }
        }
      }
    }
    return out;
  }();
  std::array<double, 24> out{};
  if (flat(profile)) return out;
  double mean = 0;
  for (const double v : profile) mean += v;
  mean /= 12;
  std::array<double, 12> x{};
  double norm = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    x[i] = profile[i] - mean;
    norm += x[i] * x[i];
  }
  norm = std::sqrt(norm);
  for (std::size_t k = 0; k < 24; ++k) {
    double dot = 0;
    for (std::size_t i = 0; i < 12; ++i) dot += x[i] * templates.t[k][i];
    out[k] = dot / norm;
  }
  return out;
}

std::optional<KeyEstimate> estimate_key(const KeyEvidence& e) noexcept {
  if (flat(e.profile)) return std::nullopt;
  const std::array<double, 24> whole = key_scores(e.profile);
  const std::array<double, 24> opening = key_scores(e.opening);
  const std::array<double, 24> ending = key_scores(e.ending);
  std::array<double, 24> score{};
  for (std::size_t i = 0; i < 24; ++i) {
    const Key k = key_at(i);
    score[i] = whole[i] + kOpeningWeight * opening[i] + kEndingWeight * ending[i];
    if (e.final_bass && *e.final_bass % 12 == k.tonic) score[i] += kFinalBassWeight;
    if (e.key_signature_sharps && *e.key_signature_sharps != 0 && *e.key_signature_sharps >= -7 &&
        *e.key_signature_sharps <= 7) {
      // Both the major key the signature names and its relative minor.
      const int major = ((*e.key_signature_sharps * 7) % 12 + 12) % 12;
      if ((k.mode == Mode::Major && k.tonic == major) || (k.mode == Mode::Minor && k.tonic == (major + 9) % 12)) {
        score[i] += kKeySignatureWeight;
      }
    }
  }
  std::size_t best = 0, second = 1;
  if (score[second] > score[best]) std::swap(best, second);
  for (std::size_t i = 2; i < 24; ++i) {
    if (score[i] > score[best]) {
      second = best;
      best = i;
    } else if (score[i] > score[second]) {
      second = i;
    }
  }
  return KeyEstimate{key_at(best), whole[best], key_at(second), whole[second], softmax_at(score, best)};
}

std::pmr::vector<KeySegment> key_segments(std::span<const std::array<double, 12>> windows,
                                          std::pmr::memory_resource* mr) {
  std::pmr::vector<KeySegment> out(mr);
  const std::size_t n = windows.size();
  if (std::all_of(windows.begin(), windows.end(), [](const auto& w) { return flat(w); })) return out;
  // Viterbi: best[w][k] = score[w][k] + max(best[w-1][k], max_j best[w-1][j] - penalty). Only the
  // back-pointers are kept per window (24 bytes); the scores are recomputed where needed.
  std::pmr::vector<std::array<std::uint8_t, 24>> from(n, std::array<std::uint8_t, 24>{}, mr);
  std::array<double, 24> best = key_scores(windows[0]);
  for (std::size_t w = 1; w < n; ++w) {
    const std::array<double, 24> score = key_scores(windows[w]);
    const auto top = static_cast<std::size_t>(std::max_element(best.begin(), best.end()) - best.begin());
    std::array<double, 24> next{};
    for (std::size_t k = 0; k < 24; ++k) {
      const double stay = best[k], change = best[top] - kChangePenalty;
      from[w][k] = static_cast<std::uint8_t>(stay >= change ? k : top);
      next[k] = std::max(stay, change) + score[k];
    }
    best = next;
  }
  // Backtrace into from[w][0] (each window's key), then the segments.
  auto key = static_cast<std::uint8_t>(std::max_element(best.begin(), best.end()) - best.begin());
  for (std::size_t w = n; w-- > 0;) {
    const std::uint8_t previous = w > 0 ? from[w][key] : 0;
    from[w][0] = key;
    key = previous;
  }
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t w = 0; w < n; ++w) {
    const std::uint8_t k = from[w][0];
    if (w == 0 || k != from[w - 1][0]) {
      if (!out.empty()) out.back().confidence = count > 0 ? sum / static_cast<double>(count) : 0.0;
      out.push_back({static_cast<std::uint32_t>(w), key_at(k), 0.0});
      sum = 0;
      count = 0;
    }
    if (!flat(windows[w])) {
      sum += softmax_at(key_scores(windows[w]), k);
      ++count;
    }
  }
  out.back().confidence = count > 0 ? sum / static_cast<double>(count) : 0.0;
  return out;
}

std::string_view key_name(Key k) noexcept {
  static constexpr std::string_view kMajor[] = {"C major",  "Db major", "D major",  "Eb major", "E major",  "F major",
                                                "F# major", "G major",  "Ab major", "A major",  "Bb major", "B major"};
  static constexpr std::string_view kMinor[] = {"C minor",  "C# minor", "D minor",  "Eb minor", "E minor",  "F minor",
                                                "F# minor", "G minor",  "G# minor", "A minor",  "Bb minor", "B minor"};
  return k.mode == Mode::Major ? kMajor[k.tonic % 12] : kMinor[k.tonic % 12];
}


std::optional<KeyEstimate> estimate_key(std::span<const double, 12> profile, KeyProfile profiles) noexcept {
  const double lo = *std::min_element(profile.begin(), profile.end());
  const double hi = *std::max_element(profile.begin(), profile.end());
  if (!(hi > lo)) return std::nullopt;
  const Profiles& p = profiles_of(profiles);
  KeyEstimate best{};
  best.correlation = -2.0;
  best.runner_up_correlation = -2.0;
  std::array<double, 24> all{};
  for (int mode = 0; mode < 2; ++mode) {
    for (int tonic = 0; tonic < 12; ++tonic) {
      const double r = correlation(profile, mode == 0 ? p.major : p.minor, tonic);
      const Key k{static_cast<std::uint8_t>(tonic), mode == 0 ? Mode::Major : Mode::Minor};
      if (r > best.correlation) {
        best.runner_up = best.key;
        best.runner_up_correlation = best.correlation;
        best.key = k;
        best.correlation = r;
      } else if (r > best.runner_up_correlation) {
        best.runner_up = k;
        best.runner_up_correlation = r;
      }
      all[key_index(k)] = r;
    }
  }
  best.confidence = softmax_at(all, key_index(best.key));
  return best;
}

float durational_accent(double seconds) noexcept {
  constexpr double kSaturation = 0.5;  // seconds (Parncutt 1994)
  if (!(seconds > 0)) return 0.0F;
  return static_cast<float>(1.0 - std::exp(-seconds / kSaturation));
}

namespace {

constexpr double kMerge = 0.030;     // onsets closer than this are one onset (a chord, a flam)
constexpr int kMaxLagMs = 2000;      // 2P at 60 BPM
constexpr double kMinBpm = 40, kMaxBpm = 240;
constexpr double kTolerance = 0.04;  // +- 4 % around each candidate lag
constexpr double kGridStep = 1.005;

// Candidates on a log grid, 0.5 % apart, with the lag windows of P and 2P (computed once).
struct Window {
  std::size_t lo = 1, hi = 0;  // empty when hi < lo
};
struct Grid {
  std::vector<double> bpm, log2_bpm;
  std::vector<Window> p1, p2;
};
const Grid& grid() {
  static const Grid g = [] {
    auto window = [](double lag_ms) {
      Window win;
      if (lag_ms * (1 - kTolerance) > kMaxLagMs) return win;
      win.lo = static_cast<std::size_t>(std::ceil(lag_ms * (1 - kTolerance)));
      win.hi = static_cast<std::size_t>(std::min(std::floor(lag_ms * (1 + kTolerance)), double(kMaxLagMs)));
      return win;
    };
    Grid out;
    for (double bpm = kMinBpm; bpm <= kMaxBpm; bpm *= kGridStep) {
      out.bpm.push_back(bpm);
      out.log2_bpm.push_back(std::log2(bpm));
      out.p1.push_back(window(60000.0 / bpm));
      out.p2.push_back(window(120000.0 / bpm));
    }
    return out;
  }();
  return g;
}

// Working storage of one estimate, reused from one window to the next.
struct TempoScratch {
  static constexpr std::size_t kLags = static_cast<std::size_t>(kMaxLagMs) + 2;
  static constexpr std::size_t kWords = (kLags + 63) / 64;
  std::pmr::vector<std::int64_t> ms;
  std::pmr::vector<float> w;
  std::pmr::vector<float> acf;
  std::array<std::uint64_t, kWords> touched{};  // the lags a pair landed on, a bit each
  std::pmr::vector<double> prefix;  // prefix[k]: sum of acf[0, k) in lag order, at the lags scored
  std::pmr::vector<double> score;
  explicit TempoScratch(std::pmr::memory_resource* mr)
      : ms(mr), w(mr), acf(kLags, 0.0F, mr), prefix(kLags + 1, 0.0, mr), score(mr) {}
};

// The candidates an estimate scores (grid indices within `span` octaves of the prior's centre,
// every `stride`-th), the prior's weight of each, and the lags at which their windows need the
// autocorrelation's prefix sum (ascending): the same for every window of a piece, so computed once.
struct Candidates {
  std::pmr::vector<std::uint16_t> index;
  std::pmr::vector<double> prior;
  std::pmr::vector<std::uint16_t> edges;
  Candidates(TempoPrior tempo_prior, double span, std::size_t stride, std::pmr::memory_resource* mr)
      : index(mr), prior(mr), edges(mr) {
    const Grid& g = grid();
    const double centre = std::log2(tempo_prior.bpm);
    std::array<std::uint64_t, (TempoScratch::kLags + 64) / 64> needed{};
    auto need = [&needed](std::size_t lag) { needed[lag / 64] |= std::uint64_t{1} << (lag % 64); };
    for (std::size_t i = 0; i < g.bpm.size(); i += stride) {
      const double octaves = (g.log2_bpm[i] - centre) / tempo_prior.octaves;
      if (std::abs(octaves) * tempo_prior.octaves > span) continue;
      index.push_back(static_cast<std::uint16_t>(i));
      prior.push_back(std::exp(-0.5 * octaves * octaves));
      for (const Window& x : {g.p1[i], g.p2[i]}) {
        if (x.hi < x.lo) continue;
        need(x.lo);
        need(x.hi + 1);
      }
    }
    for (std::size_t word = 0; word < needed.size(); ++word) {
      for (std::uint64_t bits = needed[word]; bits != 0; bits &= bits - 1) {
        edges.push_back(static_cast<std::uint16_t>(word * 64 + static_cast<std::size_t>(std::countr_zero(bits))));
      }
    }
  }
};

// The candidates of the default prior (every grid point, 120 BPM, one octave): the same for every
// piece, so built once per process (storage that lives as long as the process).
const Candidates& default_candidates() {
  static const Candidates c(TempoPrior{}, std::numeric_limits<double>::infinity(), 1, std::pmr::new_delete_resource());
  return c;
}

// See estimate_tempo. Only `candidates` are scored (the others' prior weight is negligible); `rival`
// false skips the confidence (0).
std::optional<TempoEstimate> estimate_in(std::span<const Onset> onsets, TempoScratch& s, const Candidates& candidates,
                                         bool rival) {
  // Merge near-simultaneous onsets; times in whole milliseconds.
  s.ms.clear();
  s.w.clear();
  double group_start = -1e300;
  for (const auto& o : onsets) {
    if (o.seconds - group_start < kMerge && !s.w.empty()) {
      s.w.back() += o.weight;
      continue;
    }
    group_start = o.seconds;
    s.ms.push_back(o.seconds >= 0 ? detail::round_non_negative(o.seconds * 1000.0) : std::llround(o.seconds * 1000.0));
    s.w.push_back(o.weight);
  }
  if (s.ms.size() < 8) return std::nullopt;
  // Saliences compressed so that a dense chord does not drown the rhythm: sqrt(notes).
  for (auto& x : s.w) x = std::sqrt(x);

  // Sparse autocorrelation: sum of w_i * w_j over pairs, by lag in milliseconds. The buffer is
  // all zero between calls (cleared below), so a window costs its pairs, not the 2,000 lags.
  const auto& ms = s.ms;
  const auto& w = s.w;
  std::size_t pairs = 0;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    for (std::size_t j = i + 1; j < ms.size(); ++j) {
      const std::int64_t lag = ms[j] - ms[i];
      if (lag > kMaxLagMs) break;
      const auto l = static_cast<std::size_t>(lag);
      s.acf[l] += w[i] * w[j];
      s.touched[l / 64] |= std::uint64_t{1} << (l % 64);
      ++pairs;
    }
  }
  // Prefix sums in lag order, at the candidates' window edges: mass within a window in O(1). Only
  // the lags that hold pairs are added (the others hold exactly 0, and adding 0 leaves a sum as it
  // was), so a window's serial additions are its distinct lags, not all 2,002.
  double running = 0.0;
  {
    std::size_t word = 0;
    std::uint64_t bits = s.touched[0];
    // Adds every lag that holds pairs below `end`, in order.
    auto add_below = [&](std::size_t end) {
      for (;;) {
        while (bits == 0 && word + 1 < TempoScratch::kWords) bits = s.touched[++word];
        if (bits == 0) return;
        const std::size_t lag = word * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        if (lag >= end) return;
        running += s.acf[lag];
        bits &= bits - 1;
      }
    };
    for (const std::uint16_t edge : candidates.edges) {
      add_below(edge);
      s.prefix[edge] = running;
    }
    add_below(TempoScratch::kLags);
  }
  const auto clear_acf = [&] {
    // Few pairs: zero them one by one; many: the whole buffer at once.
    if (pairs < TempoScratch::kLags / 4) {
      for (std::size_t word = 0; word < TempoScratch::kWords; ++word) {
        for (std::uint64_t bits = s.touched[word]; bits != 0; bits &= bits - 1) {
          s.acf[word * 64 + static_cast<std::size_t>(std::countr_zero(bits))] = 0.0F;
        }
      }
    } else {
      std::fill(s.acf.begin(), s.acf.end(), 0.0F);
    }
    s.touched.fill(0);
  };

  const Grid& g = grid();
  // Mass in a window above what pairs spread evenly over all lags would put there: a window grows
  // with its lag, and without the baseline long periods would win by width alone.
  const double density = running / kMaxLagMs;
  auto mass = [&](const Window& x) {
    return x.hi < x.lo ? 0.0 : s.prefix[x.hi + 1] - s.prefix[x.lo] - density * static_cast<double>(x.hi - x.lo + 1);
  };
  if (rival) s.score.assign(g.bpm.size(), 0.0);
  std::size_t best = g.bpm.size();
  double best_score = 0.0;
  for (std::size_t c = 0; c < candidates.index.size(); ++c) {
    const std::size_t i = candidates.index[c];
    const double m = mass(g.p1[i]) + 0.5 * mass(g.p2[i]);
    if (m <= 0) continue;  // no better than even spread: never the winner
    const double score = m * candidates.prior[c];
    if (rival) s.score[i] = score;
    if (best == g.bpm.size() || score > best_score) {
      best = i;
      best_score = score;
    }
  }
  if (best == g.bpm.size()) {
    clear_acf();
    return std::nullopt;
  }
  double confidence = 0.0;
  if (rival) {
    // Rival: the best candidate not within 4 % of the winner, its double or its half.
    auto related = [&](double bpm) {
      for (double f : {1.0, 2.0, 0.5}) {
        if (std::abs(bpm / (g.bpm[best] * f) - 1.0) < 0.04) return true;
      }
      return false;
    };
    double r = 0.0;
    for (std::size_t i = 0; i < g.bpm.size(); ++i) {
      if (s.score[i] > r && !related(g.bpm[i])) r = s.score[i];
    }
    confidence = (best_score - r) / best_score;
  }
  // Refine: the winning window is 8 % wide and its score flat across neighbouring candidates, so the
  // period is the autocorrelation's centroid within the winner's window for P.
  double bpm = g.bpm[best];
  const Window& w1 = g.p1[best];
  double sum = 0, weighted = 0;
  for (std::size_t lag = w1.lo; lag <= w1.hi; ++lag) {
    sum += s.acf[lag];
    weighted += static_cast<double>(s.acf[lag]) * static_cast<double>(lag);
  }
  if (sum > 0) bpm = 60000.0 * sum / weighted;
  clear_acf();
  return TempoEstimate{bpm, confidence};
}

}  // namespace

std::optional<TempoEstimate> estimate_tempo(std::span<const Onset> onsets, std::pmr::memory_resource* mr,
                                            TempoPrior tempo_prior) {
  TempoScratch scratch(mr);
  if (tempo_prior.bpm == TempoPrior{}.bpm && tempo_prior.octaves == TempoPrior{}.octaves) {
    return estimate_in(onsets, scratch, default_candidates(), true);
  }
  return estimate_in(onsets, scratch, Candidates(tempo_prior, std::numeric_limits<double>::infinity(), 1, mr), true);
}

std::optional<TempoEstimate> estimate_tempo_with_rubato(std::span<const Onset> onsets, std::pmr::memory_resource* mr) {
  constexpr double kWindow = 8.0, kLocalOctaves = 0.3, kLocalSpan = 3 * kLocalOctaves;
  TempoScratch scratch(mr);  // one set of buffers for the whole piece and every window
  auto global = estimate_in(onsets, scratch, default_candidates(), true);
  if (!global) return global;
  const Candidates near_global(TempoPrior{global->bpm, kLocalOctaves}, kLocalSpan, 2, mr);
  std::pmr::vector<double> local(mr);
  const double end = onsets.back().seconds;
  std::size_t first = 0;
  for (double t0 = onsets.front().seconds; t0 < end && first < onsets.size(); t0 += kWindow) {
    std::size_t last = first;
    while (last < onsets.size() && onsets[last].seconds < t0 + kWindow) ++last;
    if (const auto e = estimate_in(onsets.subspan(first, last - first), scratch, near_global, false)) {
      local.push_back(e->bpm);
    }
    first = last;
  }
  if (local.size() >= 3) {
    const auto mid = local.begin() + static_cast<std::ptrdiff_t>(local.size() / 2);
    std::nth_element(local.begin(), mid, local.end());
    global->bpm = *mid;
  }
  return global;
}

}  // namespace midisift::analyze
