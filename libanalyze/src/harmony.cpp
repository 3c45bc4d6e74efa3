#include "midisift/analyze/harmony.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>

namespace midisift::analyze {

namespace {

struct Template {
  ChordQuality quality;
  std::array<std::uint8_t, 4> intervals;  // semitones above the root; the first `size` count
  int size;
};
constexpr std::array<Template, 10> kTemplates{{
    {ChordQuality::Major, {0, 4, 7, 0}, 3},
    {ChordQuality::Minor, {0, 3, 7, 0}, 3},
    {ChordQuality::Diminished, {0, 3, 6, 0}, 3},
    {ChordQuality::Augmented, {0, 4, 8, 0}, 3},
    {ChordQuality::Dominant7, {0, 4, 7, 10}, 4},
    {ChordQuality::Major7, {0, 4, 7, 11}, 4},
    {ChordQuality::Minor7, {0, 3, 7, 10}, 4},
    {ChordQuality::HalfDiminished7, {0, 3, 6, 10}, 4},
    {ChordQuality::Suspended4, {0, 5, 7, 0}, 3},
    {ChordQuality::Suspended2, {0, 2, 7, 0}, 3},
}};

constexpr std::string_view kRoots[12] = {"C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
constexpr std::string_view kDegrees[12] = {"1", "b2", "2", "b3", "3", "4", "b5", "5", "b6", "6", "b7", "7"};

}  // namespace

std::string_view to_string(ChordQuality q) noexcept {
  switch (q) {
    case ChordQuality::Major: return "maj";
    case ChordQuality::Minor: return "min";
    case ChordQuality::Diminished: return "dim";
    case ChordQuality::Augmented: return "aug";
    case ChordQuality::Dominant7: return "7";
    case ChordQuality::Major7: return "maj7";
    case ChordQuality::Minor7: return "min7";
    case ChordQuality::HalfDiminished7: return "hdim7";
    case ChordQuality::Suspended4: return "sus4";
    case ChordQuality::Suspended2: return "sus2";
  }
  return "?";
}

std::string chord_label(const Chord& c) {
  std::string s(kRoots[c.root % 12]);
  s += ':';
  s += to_string(c.quality);
  if (c.bass % 12 != c.root % 12) {
    s += '/';
    s += kDegrees[(c.bass + 12 - c.root % 12) % 12];
  }
  return s;
}

std::string chord_label(const std::optional<Chord>& c) { return c ? chord_label(*c) : std::string("N"); }

std::optional<Chord> match_chord(std::span<const double, 12> weights, std::uint8_t bass) noexcept {
  double total = 0;
  for (const double w : weights) total += w;
  if (!(total > 0)) return std::nullopt;
  // Weights twice over, so that root + interval needs no modulo.
  std::array<double, 24> w{};
  for (std::size_t i = 0; i < 12; ++i) w[i] = w[i + 12] = weights[i] / total;
  double best = -std::numeric_limits<double>::infinity();
  double best_root_weight = -1;
  std::size_t best_template = kTemplates.size();
  Chord out{0, ChordQuality::Major, static_cast<std::uint8_t>(bass % 12)};
  // Only sounding roots: a template whose root is silent misses it (M > 0) and a template on a
  // sounding root covering the same notes scores at least as well in practice (rootless chords are
  // left to the template that names their sounding notes).
  for (std::uint8_t root = 0; root < 12; ++root) {
    if (!(w[root] > 0)) continue;
    for (std::size_t ti = 0; ti < kTemplates.size(); ++ti) {
      const Template& t = kTemplates[ti];
      double in = 0;
      int missing = 0;
      for (int k = 0; k < t.size; ++k) {
        const double x = w[root + t.intervals[static_cast<std::size_t>(k)]];
        in += x;
        missing += x > 0 ? 0 : 1;
      }
      const double score = 2 * in - 1.0 - 0.5 * missing / t.size;
      const bool better = score > best + 1e-12 ||
                          (score > best - 1e-12 && (w[root] > best_root_weight + 1e-12 ||
                                                    (w[root] > best_root_weight - 1e-12 && ti < best_template)));
      if (better) {
        best = score;
        best_root_weight = w[root];
        best_template = ti;
        out.root = root;
        out.quality = t.quality;
      }
    }
  }
  if (!(best > 0)) return std::nullopt;
  return out;
}

std::pmr::vector<ChordSegment> chord_segments(std::span<const Note> notes, std::span<const std::uint32_t> beats,
                                              std::uint32_t end_tick, std::pmr::memory_resource* mr) {
  std::pmr::vector<ChordSegment> out(mr);
  // Notes still sounding after the beat they started in ("carried"), as a min-heap by end: a note
  // held over many beats adds the beat's whole length to its pitch class through a count, so a beat
  // costs the notes that start or end in it, not every note sounding (a thousand held notes, or
  // notes never released, would make that quadratic). Durations are whole ticks summed as
  // integers, the same sums as adding them one by one.
  struct Held {
    std::uint32_t end;
    std::uint8_t pitch;
  };
  const auto later_end = [](const Held& a, const Held& b) { return a.end > b.end; };
  std::pmr::vector<Held> carried(mr);
  std::array<std::uint64_t, 12> carried_per_class{};  // carried notes by pitch class
  std::array<std::uint32_t, 128> carried_per_pitch{};
  std::array<std::uint64_t, 2> carried_pitches{};  // bit p: a carried note of pitch p
  auto carry = [&](std::uint8_t pitch, bool add) {
    const std::uint64_t bit = std::uint64_t{1} << (pitch % 64);
    if (add) {
      if (carried_per_pitch[pitch]++ == 0) carried_pitches[pitch / 64] |= bit;
    } else if (--carried_per_pitch[pitch] == 0) {
      carried_pitches[pitch / 64] &= ~bit;
    }
  };
  std::pmr::vector<Held> ending(mr);  // carried notes that end inside the current beat
  std::size_t next = 0;
  for (std::size_t b = 0; b < beats.size(); ++b) {
    const std::uint32_t lo = beats[b];
    const std::uint32_t hi = b + 1 < beats.size() ? beats[b + 1] : std::max(end_tick, lo + 1);
    if (hi <= lo) continue;
    // Carried notes over before this beat leave; those ending inside it count their part.
    ending.clear();
    while (!carried.empty() && carried.front().end < hi) {
      std::pop_heap(carried.begin(), carried.end(), later_end);
      const Held h = carried.back();
      carried.pop_back();
      --carried_per_class[h.pitch % 12];
      carry(h.pitch, false);
      if (h.end > lo) ending.push_back(h);
    }
    std::array<std::uint64_t, 12> ticks{};
    for (std::size_t pc = 0; pc < 12; ++pc) ticks[pc] = carried_per_class[pc] * (hi - lo);
    std::uint8_t lowest = 128;
    if (carried_pitches[0] != 0) {
      lowest = static_cast<std::uint8_t>(std::countr_zero(carried_pitches[0]));
    } else if (carried_pitches[1] != 0) {
      lowest = static_cast<std::uint8_t>(64 + std::countr_zero(carried_pitches[1]));
    }
    for (const Held& h : ending) {
      ticks[h.pitch % 12] += h.end - lo;
      lowest = std::min(lowest, h.pitch);
    }
    // Notes starting before the beat ends (onsets ascend).
    while (next < notes.size() && notes[next].onset < hi) {
      const Note& n = notes[next++];
      if (n.drum() || n.end <= n.onset || n.end <= lo) continue;
      ticks[n.pitch % 12] += std::min(n.end, hi) - std::max(n.onset, lo);
      lowest = std::min(lowest, n.pitch);
      if (n.end > hi) {
        carried.push_back({n.end, n.pitch});
        std::push_heap(carried.begin(), carried.end(), later_end);
        ++carried_per_class[n.pitch % 12];
        carry(n.pitch, true);
      }
    }
    std::array<double, 12> w{};
    for (std::size_t pc = 0; pc < 12; ++pc) w[pc] = static_cast<double>(ticks[pc]);
    std::optional<Chord> c;
    if (lowest < 128) c = match_chord(w, static_cast<std::uint8_t>(lowest % 12));
    // Compared by hand: GCC 12 warns (wrongly) on operator== of two optionals here.
    const bool same = !out.empty() && out.back().chord.has_value() == c.has_value() &&
                      (!c || (out.back().chord->root == c->root && out.back().chord->quality == c->quality &&
                              out.back().chord->bass == c->bass));
    if (!same) out.push_back({lo, c});
  }
  return out;
}

std::pmr::vector<std::uint32_t> beat_ticks(const MeterMap& meter, std::uint16_t ppq, std::uint32_t end_tick,
                                           std::pmr::memory_resource* mr, std::size_t max_beats) {
  std::pmr::vector<std::uint32_t> out(mr);
  if (ppq == 0) return out;
  const auto bars = meter.bars();
  const auto sigs = meter.signatures();
  std::size_t si = 0;
  for (std::size_t b = 0; b < bars.size(); ++b) {
    while (si + 1 < sigs.size() && sigs[si + 1].tick <= bars[b]) ++si;
    const TimeSignature& ts = sigs[si];
    const bool compound = compound_meter(ts);
    const std::uint64_t beat =
        std::max<std::uint64_t>(1, std::uint64_t{ppq} * 4U * (compound ? 3U : 1U) / ts.denominator);
    const std::uint64_t until = b + 1 < bars.size() ? bars[b + 1] : std::uint64_t{end_tick} + 1;
    for (std::uint64_t t = bars[b]; t < until; t += beat) {
      if (out.size() >= max_beats) {
        out.clear();
        return out;
      }
      out.push_back(static_cast<std::uint32_t>(t));
    }
  }
  return out;
}

}  // namespace midisift::analyze
