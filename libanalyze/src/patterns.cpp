#include "midisift/analyze/patterns.hpp"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <tuple>

#include "rounding.hpp"

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

// Little-endian, whatever the host: one 4-byte store where the host is little-endian.
void put32(std::byte*& p, std::uint32_t v) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, sizeof v);
    p += sizeof v;
  } else {
    for (int i = 0; i < 4; ++i) *p++ = static_cast<std::byte>(v >> (8 * i));
  }
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
    const auto pitch_drum = static_cast<std::uint8_t>(n.pitch | (n.drum() ? 0x80U : 0U));
    if (g == 1) return Canon{n.onset, n.duration(), pitch_drum};  // no division (performances)
    return Canon{n.onset / g, n.duration() / g, pitch_drum};
  };
  // Every byte of the buffer is written below: raw storage from `mr`, not a zero-filled vector.
  const std::size_t size = 4 + 9 * notes.size();
  const auto release = [mr, size](std::byte* b) { mr->deallocate(b, size, 1); };
  const std::unique_ptr<std::byte, decltype(release)> buffer(static_cast<std::byte*>(mr->allocate(size, 1)), release);
  std::pmr::vector<Canon> group(mr);
  std::byte* p = buffer.get();
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
  const XXH128_hash_t h = XXH3_128bits(buffer.get(), size);
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
  auto quantise = [inv_step](std::uint32_t t) {
    return static_cast<std::uint32_t>(detail::round_non_negative(t * inv_step));
  };

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

  // Per track, only the bars near its notes are laid out: a segment is a run of non-empty bars at
  // most kMaxGap apart, with kPadBefore bars before it and kPadAfter after. A loop of up to 8 bars
  // has a non-empty bar in every repeat, so consecutive non-empty bars of one loop are at most 15
  // apart and no loop spans two segments; the scan below reads at most 15 bars past a segment's
  // last non-empty bar. Work and memory are then proportional to the notes, not to the bars a
  // hostile file can declare (a note at tick 0 and one at tick 2^31 in each of thousands of tracks),
  // and the candidates are the same as with every bar laid out.
  constexpr std::size_t kMaxGap = 16, kPadBefore = 8, kPadAfter = 17;
  constexpr std::array<std::size_t, 4> kLoopLengths{1, 2, 4, 8};
  constexpr std::uint32_t kNoBar = 0xFFFFFFFFU;
  struct Segment {
    std::size_t lo, hi;  // bars [lo, hi) laid out
    std::size_t last;    // last non-empty bar
    std::size_t base;    // first slot of the segment in tol/exact/count/pitched
    std::size_t pbase;   // first slot in the prefix arrays (hi - lo + 1 slots)
  };
  const std::size_t nb = bars.size();
  std::pmr::vector<std::uint32_t> note_bar(mr);
  std::pmr::vector<Segment> segments(mr);
  std::pmr::vector<std::uint64_t> tol(mr), exact(mr);
  std::pmr::vector<std::uint32_t> count(mr), pitched(mr), eq_prefix(mr), nonempty_prefix(mr);

  for (std::uint32_t t = 0; t < tracks; ++t) {
    if (start[t + 1U] - start[t] < 2) continue;
    // Bars up to the one holding the track's last onset; later bars are empty and start no loop.
    const std::uint32_t last_onset = notes[order[start[t + 1U] - 1]].onset;
    const std::size_t nbt =
        static_cast<std::size_t>(std::upper_bound(bars.begin(), bars.end(), last_onset) - bars.begin());
    if (nbt < 2) continue;  // no loop of 1 bar repeated fits
    // The bar of each note (onsets ascend, so the search starts at the previous note's bar).
    note_bar.clear();
    std::size_t bar = 0;
    for (std::uint32_t k = start[t]; k < start[t + 1U]; ++k) {
      const std::uint32_t onset = notes[order[k]].onset;
      if (bar + 1 < nb && bars[bar + 1] <= onset) {
        bar = static_cast<std::size_t>(std::upper_bound(bars.begin() + static_cast<std::ptrdiff_t>(bar) + 1,
                                                        bars.end(), onset) - bars.begin()) - 1;
      }
      note_bar.push_back(onset < bars[bar] ? kNoBar : static_cast<std::uint32_t>(bar));
    }
    segments.clear();
    for (const std::uint32_t b : note_bar) {
      if (b == kNoBar) continue;
      if (segments.empty() || b > segments.back().last + kMaxGap) {
        segments.push_back(Segment{b >= kPadBefore ? b - kPadBefore : 0, 0, b, 0, 0});
      } else {
        segments.back().last = b;
      }
    }
    std::size_t slots = 0;
    for (std::size_t s = 0; s < segments.size(); ++s) {
      Segment& g = segments[s];
      g.hi = std::min(nbt, g.last + kPadAfter);
      g.base = slots;
      g.pbase = slots + s;
      slots += g.hi - g.lo;
    }
    tol.assign(slots, 0);
    exact.assign(slots, 0);
    count.assign(slots, 0);
    pitched.assign(slots, 0);
    eq_prefix.assign(slots + segments.size(), 0);
    nonempty_prefix.assign(slots + segments.size(), 0);

    std::size_t seg = 0;
    for (std::uint32_t k = start[t]; k < start[t + 1U]; ++k) {
      const std::uint32_t b = note_bar[k - start[t]];
      if (b == kNoBar) continue;
      while (b > segments[seg].last) ++seg;
      const Note& n = notes[order[k]];
      const std::size_t at = segments[seg].base + (b - segments[seg].lo);
      const std::uint32_t rel = n.onset - bars[b];
      // Sums of mixed keys: the same multiset of notes gives the same bar hash in any order.
      tol[at] += mix((std::uint64_t{quantise(rel)} << 32) ^ (std::uint64_t{quantise(n.duration())} << 8) ^
                     (n.pitch | (n.drum() ? 0x80U : 0U)));
      exact[at] += mix((std::uint64_t{rel} << 32) ^ (std::uint64_t{n.duration()} ^ 0xA5A5A5A5ULL) ^
                       (std::uint64_t{n.pitch} << 20) ^ (std::uint64_t{n.velocity} << 12) ^ n.channel);
      ++count[at];
      if (!n.drum()) ++pitched[at];
    }
    for (const Segment& g : segments) {
      for (std::size_t j = 0; j < g.hi - g.lo; ++j) {
        nonempty_prefix[g.pbase + j + 1] = nonempty_prefix[g.pbase + j] + (count[g.base + j] > 0 ? 1 : 0);
      }
    }
    for (const std::size_t len : kLoopLengths) {
      if (2 * len > nbt) break;
      for (const Segment& g : segments) {
        // Bar x of the track, x in [g.lo, g.hi), is slot g.base + x - g.lo.
        auto tol_at = [&](std::size_t x) { return tol[g.base + x - g.lo]; };
        auto count_at = [&](std::size_t x) { return count[g.base + x - g.lo]; };
        auto eq_at = [&](std::size_t x) { return eq_prefix[g.pbase + x - g.lo]; };
        auto nonempty_at = [&](std::size_t x) { return nonempty_prefix[g.pbase + x - g.lo]; };
        for (std::size_t x = g.lo; x < g.hi; ++x) {
          const bool eq = x + len < g.hi && tol_at(x) == tol_at(x + len) && count_at(x) == count_at(x + len);
          eq_prefix[g.pbase + x - g.lo + 1] = eq_at(x) + (eq ? 1 : 0);
        }
        auto all_eq = [&](std::size_t from, std::size_t to) { return eq_at(to) - eq_at(from) == to - from; };
        std::size_t i = g.lo;
        while (i + 2 * len <= nbt && i <= g.last) {
          if (nonempty_at(i + len) == nonempty_at(i) || !all_eq(i, i + len)) {
            ++i;
            continue;
          }
          std::uint32_t repeats = 2;
          while (i + (repeats + 1U) * len <= nbt && all_eq(i + (repeats - 1U) * len, i + repeats * len)) ++repeats;
          // Two identical halves: already reported at half the length.
          bool halves = false;
          if (len > 1) {
            halves = true;
            for (std::size_t j = i; j < i + len / 2; ++j) {
              if (tol_at(j) != tol_at(j + len / 2) || count_at(j) != count_at(j + len / 2)) halves = false;
            }
          }
          if (!halves) {
            LoopCandidate c;
            c.track = static_cast<std::uint16_t>(t);
            c.start_bar = static_cast<std::uint32_t>(i);
            c.bars = static_cast<std::uint8_t>(len);
            c.repeats = repeats;
            c.start_tick = bars[i];
            c.end_tick = bars[i + len];
            bool is_exact = true;
            std::uint32_t n_notes = 0, n_pitched = 0;
            for (std::size_t j = i; j < i + len; ++j) {
              n_notes += count_at(j);
              n_pitched += pitched[g.base + j - g.lo];
            }
            for (std::size_t j = i; j < i + (repeats - 1U) * len; ++j) {
              if (exact[g.base + j - g.lo] != exact[g.base + j + len - g.lo]) is_exact = false;
            }
            c.notes = n_notes;
            c.exact = is_exact;
            c.drum = n_pitched == 0;
            out.push_back(c);
          }
          i += repeats * len;
        }
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
