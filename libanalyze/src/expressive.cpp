#include "midisift/analyze/expressive.hpp"

#include <algorithm>
#include <array>
#include <numeric>

namespace midisift::analyze {

namespace {
constexpr std::array<std::uint32_t, kMetricLevels> kDivisors{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};
}  // namespace

std::uint8_t metric_level(std::uint32_t tick, std::uint16_t ppq) noexcept {
  if (ppq == 0) return 0;
  // tick * d is a multiple of ppq exactly when q = ppq / gcd(tick mod ppq, ppq) divides d: one gcd
  // and a table of the first level whose divisor q divides (q > 64 divides none).
  static constexpr auto kLevelOf = [] {
    std::array<std::uint8_t, 65> t{};
    for (std::size_t q = 1; q <= 64; ++q) {
      t[q] = kMetricLevels;
      for (std::uint8_t i = 0; i < kMetricLevels; ++i) {
        if (kDivisors[i] % q == 0) {
          t[q] = i;
          break;
        }
      }
    }
    return t;
  }();
  const std::uint32_t q = ppq / std::gcd(tick % ppq, std::uint32_t{ppq});
  return q <= 64 ? kLevelOf[q] : kMetricLevels;
}

std::pmr::vector<std::optional<double>> nomml_per_track(std::span<const Note> notes, std::size_t tracks,
                                                        std::uint16_t ppq, std::pmr::memory_resource* mr) {
  std::pmr::vector<std::optional<double>> out(tracks, std::nullopt, mr);
  if (ppq == 0 || notes.empty()) return out;
  // A histogram of levels per track (13 counters): the median without sorting.
  std::pmr::vector<std::array<std::uint32_t, kMetricLevels + 1>> hist(tracks, {}, mr);
  // The level depends on the onset's position within its quarter note only: each position's level
  // is computed once (at most ppq of them, 32 KB at most).
  constexpr std::uint8_t kUnknown = 0xFF;
  std::pmr::vector<std::uint8_t> level_of(ppq, kUnknown, mr);
  for (const Note& n : notes) {
    if (n.track >= tracks) continue;
    std::uint8_t& level = level_of[n.onset % ppq];
    if (level == kUnknown) level = metric_level(n.onset, ppq);
    ++hist[n.track][level];
  }
  for (std::size_t t = 0; t < tracks; ++t) {
    std::uint64_t total = 0;
    for (const auto c : hist[t]) total += c;
    if (total == 0) continue;
    // The levels at ranks (total - 1) / 2 and total / 2, from zero.
    auto level_at = [&](std::uint64_t rank) {
      std::uint64_t seen = 0;
      for (std::size_t l = 0; l <= kMetricLevels; ++l) {
        seen += hist[t][l];
        if (seen > rank) return static_cast<double>(l);
      }
      return static_cast<double>(kMetricLevels);
    };
    out[t] = (level_at((total - 1) / 2) + level_at(total / 2)) / 2.0;
  }
  return out;
}

std::optional<bool> expressive(std::span<const std::optional<double>> nomml, std::span<const Note> notes) noexcept {
  if (notes.empty()) return std::nullopt;
  if (std::none_of(nomml.begin(), nomml.end(), [](const auto& x) { return x.has_value(); })) return std::nullopt;
  std::uint64_t in_expressive = 0;
  for (const Note& n : notes) {
    if (n.track < nomml.size() && nomml[n.track] && *nomml[n.track] >= kMetricLevels) ++in_expressive;
  }
  return 2 * in_expressive > notes.size();
}

}  // namespace midisift::analyze
