#include "midisift/analyze/patterns.hpp"

#include <xxhash.h>

#include <algorithm>
#include <numeric>
#include <tuple>

namespace midisift::analyze {

namespace {

// SplitMix64 finaliser: a cheap, well-mixed 64-bit hash of a packed note key.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

struct Canon {
  std::uint32_t onset;
  std::uint32_t duration;
  std::uint8_t pitch_drum;  // pitch | drum << 7
};

void put32(std::byte*& p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) *p++ = static_cast<std::byte>(v >> (8 * i));
}

}  // namespace

std::optional<std::array<std::uint8_t, 16>> fingerprint(std::span<const Note> notes, std::uint16_t ppq,
                                                         std::pmr::memory_resource* mr) {
  if (notes.empty() || ppq == 0) return std::nullopt;
  std::uint32_t g = ppq;
  for (const auto& n : notes) {
    g = std::gcd(g, n.onset);
    g = std::gcd(g, n.duration());
    if (g == 1) break;
  }
  // Serialise little-endian (no padding, no host dependence), each group of equal onsets in
  // canonical order, then hash once.
  auto less = [](const Canon& a, const Canon& b) {
    const unsigned pa = a.pitch_drum & 0x7FU, pb = b.pitch_drum & 0x7FU;
    if (pa != pb) return pa < pb;
    if (a.duration != b.duration) return a.duration < b.duration;
    return a.pitch_drum < b.pitch_drum;
  };
  auto canon = [g](const Note& n) {
    return Canon{n.onset / g, n.duration() / g, static_cast<std::uint8_t>(n.pitch | (n.drum() ? 0x80U : 0U))};
  };
  std::pmr::vector<std::byte> buffer(4 + 9 * notes.size(), std::byte{0}, mr);
  std::pmr::vector<Canon> group(mr);
  std::byte* p = buffer.data();
  auto put = [&p](const Canon& c) {
    put32(p, c.onset);
    put32(p, c.duration);
    *p++ = static_cast<std::byte>(c.pitch_drum);
  };
  put32(p, ppq / g);
  for (std::size_t i = 0; i < notes.size();) {
    std::size_t j = i + 1;
    while (j < notes.size() && notes[j].onset == notes[i].onset) ++j;
    if (j - i == 1) {
      put(canon(notes[i]));
    } else {
      group.clear();
      for (std::size_t k = i; k < j; ++k) group.push_back(canon(notes[k]));
      std::sort(group.begin(), group.end(), less);
      for (const auto& c : group) put(c);
    }
    i = j;
  }
  const XXH128_hash_t h = XXH3_128bits(buffer.data(), buffer.size());
  XXH128_canonical_t bytes;
  XXH128_canonicalFromHash(&bytes, h);
  std::array<std::uint8_t, 16> out{};
  std::copy(std::begin(bytes.digest), std::end(bytes.digest), out.begin());
  return out;
}

std::pmr::vector<LoopCandidate> find_loops(std::span<const Note> notes, std::span<const std::uint32_t> bars,
                                           std::uint16_t ppq, std::pmr::memory_resource* mr,
                                           std::size_t max_candidates) {
  std::pmr::vector<LoopCandidate> out(mr);
  if (notes.empty() || bars.size() < 2 || ppq == 0) return out;
  const std::uint32_t step = std::max<std::uint32_t>(1, ppq / kLoopGridPerQuarter);
  // Rounding to the grid by a multiply: deterministic, so equal inputs always hash alike.
  const double inv_step = 1.0 / step;
  auto quantise = [inv_step](std::uint32_t t) { return static_cast<std::uint32_t>(t * inv_step + 0.5); };

  // Stable counting sort of note indices by track: each track's notes stay in onset order.
  std::uint32_t tracks = 0;
  for (const auto& n : notes) tracks = std::max<std::uint32_t>(tracks, n.track + 1U);
  std::pmr::vector<std::uint32_t> start(tracks + 1U, 0, mr);
  for (const auto& n : notes) ++start[n.track + 1U];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::pmr::vector<std::uint32_t> order(notes.size(), 0, mr);
  {
    std::pmr::vector<std::uint32_t> fill(start.begin(), start.end() - 1, mr);
    for (std::uint32_t i = 0; i < notes.size(); ++i) order[fill[notes[i].track]++] = i;
  }

  const std::size_t nb = bars.size();
  std::pmr::vector<std::uint64_t> tol(nb, 0, mr), exact(nb, 0, mr);
  std::pmr::vector<std::uint32_t> count(nb, 0, mr), pitched(nb, 0, mr);
  std::pmr::vector<std::uint32_t> eq_prefix(nb + 1, 0, mr), nonempty_prefix(nb + 1, 0, mr);

  for (std::uint32_t t = 0; t < tracks; ++t) {
    if (start[t + 1U] - start[t] < 2) continue;
    // Bars up to the one holding the track's last onset; later bars are empty and start no loop.
    const std::uint32_t last_onset = notes[order[start[t + 1U] - 1]].onset;
    const std::size_t nbt =
        static_cast<std::size_t>(std::upper_bound(bars.begin(), bars.end(), last_onset) - bars.begin());
    std::fill_n(tol.begin(), nbt, 0);
    std::fill_n(exact.begin(), nbt, 0);
    std::fill_n(count.begin(), nbt, 0);
    std::fill_n(pitched.begin(), nbt, 0);
    std::size_t bar = 0;
    for (std::uint32_t k = start[t]; k < start[t + 1U]; ++k) {
      const Note& n = notes[order[k]];
      while (bar + 1 < nb && bars[bar + 1] <= n.onset) ++bar;
      if (n.onset < bars[bar]) continue;
      const std::uint32_t rel = n.onset - bars[bar];
      // Sums of mixed keys: the same multiset of notes gives the same bar hash in any order.
      tol[bar] += mix((std::uint64_t{quantise(rel)} << 32) ^ (std::uint64_t{quantise(n.duration())} << 8) ^
                      (n.pitch | (n.drum() ? 0x80U : 0U)));
      exact[bar] += mix((std::uint64_t{rel} << 32) ^ (std::uint64_t{n.duration()} ^ 0xA5A5A5A5ULL) ^
                        (std::uint64_t{n.pitch} << 20) ^ (std::uint64_t{n.velocity} << 12) ^ n.channel);
      ++count[bar];
      if (!n.drum()) ++pitched[bar];
    }
    for (std::size_t i = 0; i < nbt; ++i) nonempty_prefix[i + 1] = nonempty_prefix[i] + (count[i] > 0 ? 1 : 0);
    for (const std::uint8_t len : {1, 2, 4, 8}) {
      if (2U * len > nbt) break;
      for (std::size_t i = 0; i < nbt; ++i) {
        eq_prefix[i + 1] = eq_prefix[i] + (i + len < nbt && tol[i] == tol[i + len] && count[i] == count[i + len] ? 1 : 0);
      }
      auto all_eq = [&](std::size_t from, std::size_t to) { return eq_prefix[to] - eq_prefix[from] == to - from; };
      std::size_t i = 0;
      while (i + 2U * len <= nbt) {
        if (nonempty_prefix[i + len] == nonempty_prefix[i] || !all_eq(i, i + len)) {
          ++i;
          continue;
        }
        std::uint32_t repeats = 2;
        while (i + (repeats + 1U) * len <= nbt && all_eq(i + (repeats - 1U) * len, i + repeats * len)) ++repeats;
        // Two identical halves: already reported at half the length.
        bool halves = false;
        if (len > 1) {
          halves = true;
          for (std::size_t j = i; j < i + len / 2U; ++j) {
            if (tol[j] != tol[j + len / 2U] || count[j] != count[j + len / 2U]) halves = false;
          }
        }
        if (!halves) {
          LoopCandidate c;
          c.track = static_cast<std::uint16_t>(t);
          c.start_bar = static_cast<std::uint32_t>(i);
          c.bars = len;
          c.repeats = repeats;
          c.start_tick = bars[i];
          c.end_tick = bars[i + len];
          bool is_exact = true;
          std::uint32_t n_notes = 0, n_pitched = 0;
          for (std::size_t j = i; j < i + len; ++j) {
            n_notes += count[j];
            n_pitched += pitched[j];
          }
          for (std::size_t j = i; j < i + (repeats - 1U) * len; ++j) {
            if (exact[j] != exact[j + len]) is_exact = false;
          }
          c.notes = n_notes;
          c.exact = is_exact;
          c.drum = n_pitched == 0;
          out.push_back(c);
        }
        i += static_cast<std::size_t>(repeats) * len;
      }
    }
  }
  if (out.size() > max_candidates) {
    std::stable_sort(out.begin(), out.end(), [](const LoopCandidate& a, const LoopCandidate& b) {
      return std::uint64_t{a.bars} * a.repeats > std::uint64_t{b.bars} * b.repeats;
    });
    out.resize(max_candidates);
  }
  std::sort(out.begin(), out.end(), [](const LoopCandidate& a, const LoopCandidate& b) {
    return std::tie(a.track, a.start_bar, a.bars) < std::tie(b.track, b.start_bar, b.bars);
  });
  return out;
}

}  // namespace midisift::analyze
