#include "midisift/analyze/harmony.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

namespace midisift::analyze {

namespace {

struct Template {
  ChordQuality quality;
  std::array<std::uint8_t, 4> intervals;  // semitones above the root; the first `size` count
  int size;
};
constexpr std::array<Template, 11> kTemplates{{
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
    {ChordQuality::Diminished7, {0, 3, 6, 9}, 4},
}};

constexpr std::string_view kRoots[12] = {"C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
constexpr std::string_view kDegrees[12] = {"1", "b2", "2", "b3", "3", "4", "b5", "5", "b6", "6", "b7", "7"};

// The same label: both "no chord", or the same root, quality and bass. Compared by hand: GCC 12
// warns (wrongly) on operator== of two optionals here.
bool same_label(const std::optional<Chord>& a, const std::optional<Chord>& b) noexcept {
  return a.has_value() == b.has_value() &&
         (!a || (a->root == b->root && a->quality == b->quality && a->bass == b->bass));
}

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
    case ChordQuality::Diminished7: return "dim7";
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

namespace {

// The best template over `w` (the 12 weights twice over, so that root + interval needs no
// modulo; `total` their sum): score P - N - cost(missing, size), P the weight of the template's
// pitch classes, N = total - P the weight of the others. Ties go to the template whose root
// weighs more, then to the earlier quality. Only sounding roots are tried (see match_chord).
struct Best {
  double score = -std::numeric_limits<double>::infinity();
  double fit = 0;  // P - N of the best template
  std::uint8_t root = 0;
  ChordQuality quality = ChordQuality::Major;
};
template <class MissingCost>
Best best_template(const std::array<double, 24>& w, double total, MissingCost cost) noexcept {
  Best best;
  double best_root_weight = -1;
  std::size_t best_template = kTemplates.size();
  for (std::uint8_t root = 0; root < 12; ++root) {
    if (!(w[root] > 0)) continue;
    for (std::size_t ti = 0; ti < kTemplates.size(); ++ti) {
      const Template& t = kTemplates[ti];
      double in = 0;
      std::array<double, 4> tones{};
      for (int k = 0; k < t.size; ++k) {
        const double x = w[root + t.intervals[static_cast<std::size_t>(k)]];
        in += x;
        tones[static_cast<std::size_t>(k)] = x;
      }
      const double score = 2 * in - total - cost(tones, t.size);
      const double eps = 1e-12 * std::max(1.0, total);
      const bool better = score > best.score + eps ||
                          (score > best.score - eps && (w[root] > best_root_weight + eps ||
                                                        (w[root] > best_root_weight - eps && ti < best_template)));
      if (better) {
        best.score = score;
        best.fit = 2 * in - total;
        best_root_weight = w[root];
        best_template = ti;
        best.root = root;
        best.quality = t.quality;
      }
    }
  }
  return best;
}

}  // namespace

std::optional<Chord> match_chord(std::span<const double, 12> weights, std::uint8_t bass) noexcept {
  double total = 0;
  for (const double w : weights) total += w;
  if (!(total > 0)) return std::nullopt;
  std::array<double, 24> w{};
  for (std::size_t i = 0; i < 12; ++i) w[i] = w[i + 12] = weights[i] / total;
  const Best best = best_template(w, 1.0, [](const std::array<double, 4>& tones, int size) {
    int missing = 0;
    for (int k = 0; k < size; ++k) missing += tones[static_cast<std::size_t>(k)] > 0 ? 0 : 1;
    return 0.5 * missing / size;
  });
  if (!(best.score > 0)) return std::nullopt;
  return Chord{best.root, best.quality, static_cast<std::uint8_t>(bass % 12)};
}

std::pmr::vector<BeatWeights> beat_weights(std::span<const Note> notes, std::span<const std::uint32_t> beats,
                                           std::uint32_t end_tick, std::pmr::memory_resource* mr) {
  std::pmr::vector<BeatWeights> per_beat(mr);
  per_beat.reserve(beats.size());
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
    // The beat's weights in note-beats: a pitch class sounding through the whole beat in one voice
    // weighs 1, in two voices 2.
    BeatWeights bw{lo, lowest, {}};
    const auto length = static_cast<double>(hi - lo);
    for (std::size_t pc = 0; pc < 12; ++pc) bw.weights[pc] = static_cast<double>(ticks[pc]) / length;
    per_beat.push_back(bw);
  }
  return per_beat;
}

std::pmr::vector<ChordSegment> segment_chords(std::span<const BeatWeights> per_beat,
                                              std::span<const std::uint32_t> bars, std::pmr::memory_resource* mr) {
  std::pmr::vector<ChordSegment> out(mr);
  const std::size_t n = per_beat.size();
  // The metrical blocks of more than one beat, as [first, last + 1) beat indices: each bar whole,
  // and its halves when it has an even number of beats, 4 or more. Pushed in the order of their
  // ends (bars ascend; a bar's second half before the whole bar, which ends with it).
  struct Block {
    std::uint32_t first, end;
  };
  std::pmr::vector<Block> blocks(mr);
  for (std::size_t b = 0, i = 0; b < bars.size(); ++b) {
    while (i < n && per_beat[i].start_tick < bars[b]) ++i;
    std::size_t e = i;
    while (e < n && (b + 1 >= bars.size() || per_beat[e].start_tick < bars[b + 1])) ++e;
    const std::size_t k = e - i;
    if (k >= 4 && k % 2 == 0) {
      blocks.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i + k / 2)});
      blocks.push_back({static_cast<std::uint32_t>(i + k / 2), static_cast<std::uint32_t>(e)});
    }
    if (k >= 2) blocks.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(e)});
    i = e;
  }

  // Each candidate segment scores its best template over its summed weights, P - N - M with M the
  // sum over the template's notes of max(0, 1 - weight) (below 0 for a few short notes: such a
  // beat gains by joining its neighbours), or 0 ("no chord") when even that template's notes weigh
  // no more than the others (P <= N); a candidate holding a silent beat and another beat is not
  // one.
  const auto score = [&](std::size_t first, std::size_t end, std::optional<Chord>& chord) {
    std::array<double, 24> w{};
    double total = 0;
    std::uint8_t lowest = 128;
    for (std::size_t i = first; i < end; ++i) {
      if (end - first > 1 && per_beat[i].lowest >= 128) return -std::numeric_limits<double>::infinity();
      for (std::size_t pc = 0; pc < 12; ++pc) w[pc] += per_beat[i].weights[pc];
      lowest = std::min(lowest, per_beat[i].lowest);
    }
    for (std::size_t pc = 0; pc < 12; ++pc) {
      total += w[pc];
      w[pc + 12] = w[pc];
    }
    chord.reset();
    if (lowest >= 128 || !(total > 0)) return 0.0;
    const Best best = best_template(w, total, [](const std::array<double, 4>& tones, int size) {
      double missing = 0;
      for (int k = 0; k < size; ++k) missing += std::max(0.0, 1.0 - tones[static_cast<std::size_t>(k)]);
      return missing;
    });
    if (!(best.fit > 0)) return 0.0;
    chord = Chord{best.root, best.quality, static_cast<std::uint8_t>(lowest % 12)};
    return best.score;
  };
  struct Cell {
    double total;
    std::uint32_t from;
    std::optional<Chord> chord;
  };
  std::pmr::vector<Cell> dp(n + 1, Cell{0.0, 0, std::nullopt}, mr);
  std::size_t next_block = 0;
  for (std::size_t j = 1; j <= n; ++j) {
    std::optional<Chord> chord;
    dp[j] = Cell{dp[j - 1].total + score(j - 1, j, chord), static_cast<std::uint32_t>(j - 1), chord};
    // Blocks after the single beat, shorter before longer: a longer segment must score more (on
    // a tie the shorter ones stand).
    for (; next_block < blocks.size() && blocks[next_block].end == j; ++next_block) {
      const Block& bl = blocks[next_block];
      const double t = dp[bl.first].total + score(bl.first, bl.end, chord);
      if (t > dp[j].total + 1e-9 * std::max(1.0, std::abs(dp[j].total))) dp[j] = Cell{t, bl.first, chord};
    }
  }
  std::pmr::vector<std::uint32_t> ends(mr);  // segment ends: walked back from the last beat, then in order
  for (std::size_t j = n; j > 0; j = dp[j].from) ends.push_back(static_cast<std::uint32_t>(j));
  std::reverse(ends.begin(), ends.end());
  for (const std::uint32_t end : ends) {
    const Cell& cell = dp[end];
    const std::optional<Chord>& c = cell.chord;
    if (out.empty() || !same_label(out.back().chord, c)) out.push_back({per_beat[cell.from].start_tick, c});
  }
  return out;
}

std::pmr::vector<ChordSegment> chord_segments(std::span<const Note> notes, std::span<const std::uint32_t> beats,
                                              std::span<const std::uint32_t> bars, std::uint32_t end_tick,
                                              std::pmr::memory_resource* mr) {
  const auto per_beat = beat_weights(notes, beats, end_tick, mr);
  return segment_chords(per_beat, bars, mr);
}

std::pmr::vector<ChordSegment> track_chords(std::span<const BeatWeights> per_beat, std::span<const std::uint32_t> bars,
                                            std::pmr::memory_resource* mr) {
  // Chosen on the development fold of POP909's odd songs and on Bach's BWV 846 together (pop alone
  // would take the sevenths' penalty at 0.2: majmin +0.013 there, sevenths on BWV 846 0.853 -> 0.5).
  constexpr double kBass = 0.2;          // the bass on the root; a third of it for the bass on another chord tone
  constexpr double kChange = 0.3;        // a change of chord inside a bar
  constexpr double kChangeAtBar = 0.1;   // a change on a bar line
  constexpr double kFour = 0.05;         // a seventh chord against its triad
  constexpr double kDim = 0.15;          // a diminished triad (rare in tonal music)
  constexpr double kDim7 = 0.1;          // a diminished seventh, on top of kFour
  constexpr double kNone = 0.35;         // "no chord" where notes sound
  std::pmr::vector<ChordSegment> out(mr);
  const std::size_t n = per_beat.size();
  if (n == 0) return out;
  // The HMM's vocabulary: maj, min, dim, 7, maj7, min7, dim7 of `kTemplates` (no aug, hdim7, sus).
  static constexpr std::array<Template, 7> kShapes{kTemplates[0], kTemplates[1], kTemplates[2], kTemplates[4],
                                                   kTemplates[5], kTemplates[6], kTemplates[10]};
  std::array<double, kShapes.size()> prior{};
  for (std::size_t q = 0; q < kShapes.size(); ++q) {
    const ChordQuality quality = kShapes[q].quality;
    prior[q] = (kShapes[q].size == 4 ? kFour : 0.0) + (quality == ChordQuality::Diminished ? kDim : 0.0) +
               (quality == ChordQuality::Diminished7 ? kDim7 : 0.0);
  }
  constexpr std::size_t kChords = 12 * kShapes.size(), kStates = kChords + 1;
  // Each beat's scores, computed as the decoding reaches it (not stored: memory stays at one byte
  // per state and beat, for the back pointers).
  const auto emission = [&](std::size_t b, std::array<double, kStates>& e) {
    const BeatWeights& bw = per_beat[b];
    double total = 0;
    for (const double x : bw.weights) total += x;
    if (bw.lowest >= 128 || !(total > 0)) {
      e.fill(-1e6);
      e[kChords] = 0;
      return;
    }
    const std::size_t bass = bw.lowest % 12;
    for (std::size_t root = 0; root < 12; ++root) {
      for (std::size_t q = 0; q < kShapes.size(); ++q) {
        double in = 0;
        bool bass_in = false;
        for (int k = 0; k < kShapes[q].size; ++k) {
          const std::size_t pc = (root + kShapes[q].intervals[static_cast<std::size_t>(k)]) % 12;
          in += bw.weights[pc];
          bass_in = bass_in || pc == bass;
        }
        e[root * kShapes.size() + q] = in / total + (bass == root ? kBass : bass_in ? kBass / 3 : 0.0) - prior[q];
      }
    }
    e[kChords] = kNone;
  };
  // Viterbi with one cost for every change of state, lower on a bar line.
  // Back pointers: a state either stayed or came from the beat's best predecessor, so each beat
  // keeps that predecessor and one bit a state (12 bytes a beat, not 85).
  static_assert(kStates <= 128);
  std::pmr::vector<std::uint8_t> best_before(n, 0, mr);
  std::pmr::vector<std::array<std::uint64_t, 2>> moved(n, std::array<std::uint64_t, 2>{}, mr);
  std::array<double, kStates> score{};
  std::array<double, kStates> e{};
  emission(0, score);
  std::size_t bar = 0;
  for (std::size_t b = 1; b < n; ++b) {
    while (bar < bars.size() && bars[bar] < per_beat[b].start_tick) ++bar;
    const bool at_bar = bar < bars.size() && bars[bar] == per_beat[b].start_tick;
    const double change = at_bar ? kChangeAtBar : kChange;
    std::size_t best = 0;
    for (std::size_t s = 1; s < kStates; ++s) {
      if (score[s] > score[best]) best = s;
    }
    emission(b, e);
    std::array<double, kStates> next{};
    for (std::size_t s = 0; s < kStates; ++s) {
      const double stay = score[s], move = score[best] - change;
      const bool moved_here = move > stay;
      next[s] = (moved_here ? move : stay) + e[s];
      if (moved_here) moved[b][s / 64] |= std::uint64_t{1} << (s % 64);
    }
    best_before[b] = static_cast<std::uint8_t>(best);
    score = next;
  }
  std::pmr::vector<std::uint8_t> path(n, 0, mr);
  std::size_t last = 0;
  for (std::size_t s = 1; s < kStates; ++s) {
    if (score[s] > score[last]) last = s;
  }
  for (std::size_t b = n; b-- > 0;) {
    path[b] = static_cast<std::uint8_t>(last);
    if (((moved[b][last / 64] >> (last % 64)) & 1U) != 0) last = best_before[b];
  }
  // Runs of one state, with the lowest pitch sounding in the run as the bass.
  for (std::size_t first = 0; first < n;) {
    std::size_t end = first + 1;
    while (end < n && path[end] == path[first]) ++end;
    const std::size_t state = path[first];
    std::optional<Chord> chord;
    if (state < kChords) {
      std::uint8_t lowest = 128;
      for (std::size_t b = first; b < end; ++b) lowest = std::min(lowest, per_beat[b].lowest);
      chord = Chord{static_cast<std::uint8_t>(state / kShapes.size()), kShapes[state % kShapes.size()].quality,
                    static_cast<std::uint8_t>(lowest % 12)};
    }
    if (out.empty() || !same_label(out.back().chord, chord)) out.push_back({per_beat[first].start_tick, chord});
    first = end;
  }
  return out;
}

std::pmr::vector<std::uint32_t> bars_from_harmony(std::span<const BeatWeights> beats, unsigned beats_per_bar,
                                                  std::pmr::memory_resource* mr) {
  std::pmr::vector<std::uint32_t> out(mr);
  if (beats.empty() || beats_per_bar == 0) return out;
  std::pmr::vector<double> change(beats_per_bar, 0.0, mr);
  for (std::size_t i = 1; i < beats.size(); ++i) {
    double a = 0, b = 0;
    for (std::size_t pc = 0; pc < 12; ++pc) {
      a += beats[i].weights[pc];
      b += beats[i - 1].weights[pc];
    }
    if (!(a > 0) || !(b > 0)) continue;
    double d = 0;
    for (std::size_t pc = 0; pc < 12; ++pc) d += std::abs(beats[i].weights[pc] / a - beats[i - 1].weights[pc] / b);
    change[i % beats_per_bar] += d;
  }
  std::size_t phase = 0;
  for (std::size_t p = 1; p < beats_per_bar; ++p) {
    if (change[p] > change[phase]) phase = p;
  }
  if (beats[phase].start_tick != 0) out.push_back(0);
  for (std::size_t i = phase; i < beats.size(); i += beats_per_bar) out.push_back(beats[i].start_tick);
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
