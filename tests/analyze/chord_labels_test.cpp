// The chord analysis measured against a hand annotation: Bach's Prelude in C major, BWV 846 (Well-
// Tempered Clavier I), whose 35 bars each hold one harmony broken into the same figure, in ASAP's
// score (midi_score.mid, its own bar grid) and its performance (Shi05M.mid, on ASAP's annotated
// beats and downbeats). The labels were written by hand from the score's notes; the figures follow
// the comparisons of mir_eval (Raffel et al., "mir_eval: a transparent implementation of common MIR
// metrics", ISMIR 2014), per beat. The thresholds are the figures when the segmentation was
// written; a change that lowers them fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory_resource>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "midisift/analyze/facts.hpp"
#include "midisift/analyze/harmony.hpp"
#include "midisift/analyze/music.hpp"
#include "midisift/analyze/notes.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/parse/input_file.hpp"

namespace midisift::analyze {
namespace {

namespace fs = std::filesystem;
using Q = ChordQuality;
const fs::path kPrelude = fs::path(MIDISIFT_CORPUS_DIR) / "asap" / "Bach" / "Prelude" / "bwv_846";

// Pitch classes.
constexpr std::uint8_t C = 0, Cs = 1, D = 2, Eb = 3, E = 4, F = 5, Fs = 6, G = 7, Ab = 8, A = 9, Bb = 10, B = 11;

// One harmony a bar, bars 1-35 (ASAP's edition, without Schwencke's added bar). Bar 23 (A-flat, F,
// B, C, D) is read both as B diminished seventh over A-flat with C an appoggiatura and as the
// half-diminished seventh on D with B the appoggiatura: it is not scored.
const std::array<std::optional<Chord>, 35> kBars{{
    Chord{C, Q::Major, C},         Chord{D, Q::Minor7, C},       Chord{G, Q::Dominant7, B},
    Chord{C, Q::Major, C},         Chord{A, Q::Minor, C},        Chord{D, Q::Dominant7, C},
    Chord{G, Q::Major, B},         Chord{C, Q::Major7, B},       Chord{A, Q::Minor7, A},
    Chord{D, Q::Dominant7, D},     Chord{G, Q::Major, G},        Chord{Cs, Q::Diminished7, G},
    Chord{D, Q::Minor, F},         Chord{B, Q::Diminished7, F},  Chord{C, Q::Major, E},
    Chord{F, Q::Major7, E},        Chord{D, Q::Minor7, D},       Chord{G, Q::Dominant7, G},
    Chord{C, Q::Major, C},         Chord{C, Q::Dominant7, C},    Chord{F, Q::Major7, F},
    Chord{Fs, Q::Diminished7, Fs}, std::nullopt,                 Chord{G, Q::Dominant7, G},
    Chord{C, Q::Major, G},         Chord{G, Q::Suspended4, G},   Chord{G, Q::Dominant7, G},
    Chord{Fs, Q::Diminished7, G},  Chord{C, Q::Major, G},        Chord{G, Q::Suspended4, G},
    Chord{G, Q::Dominant7, G},     Chord{C, Q::Dominant7, C},    Chord{F, Q::Major, C},
    Chord{G, Q::Dominant7, C},     Chord{C, Q::Major, C},
}};

// The triad of a quality (mir_eval's "triads" comparison): sevenths lose their seventh.
Q triad(Q q) {
  switch (q) {
    case Q::Dominant7:
    case Q::Major7: return Q::Major;
    case Q::Minor7: return Q::Minor;
    case Q::HalfDiminished7:
    case Q::Diminished7: return Q::Diminished;
    default: return q;
  }
}

// The root compared; a diminished seventh's four notes a minor third apart can each be its root.
bool same_root(const Chord& est, const Chord& ref) {
  if (ref.quality != Q::Diminished7 && triad(ref.quality) != Q::Diminished) return est.root == ref.root;
  const int d = (est.root + 12 - ref.root) % 12;
  return ref.quality == Q::Diminished7 ? d % 3 == 0 : d == 0;
}

// Per beat: root, triad, the full quality (sevenths), and the full quality with the bass.
struct Agreement {
  int beats = 0, root = 0, triads = 0, sevenths = 0, with_bass = 0;
  void add(const std::optional<Chord>& est, const Chord& ref) {
    ++beats;
    if (!est || !same_root(*est, ref)) return;
    ++root;
    if (triad(est->quality) != triad(ref.quality)) return;
    ++triads;
    if (est->quality != ref.quality && !(ref.quality == Q::Diminished7 && est->quality == Q::Diminished7)) return;
    ++sevenths;
    with_bass += est->bass == ref.bass ? 1 : 0;
  }
  [[nodiscard]] double rate(int x) const { return beats > 0 ? static_cast<double>(x) / beats : 0.0; }
  void print(const char* what) const {
    std::printf("BWV 846 prelude, %s: %d beats; root %.3f, triads %.3f, sevenths %.3f, sevenths and bass %.3f\n",
                what, beats, rate(root), rate(triads), rate(sevenths), rate(with_bass));
  }
};

// The label in force at `tick`.
std::optional<Chord> at(std::span<const ChordSegment> segments, std::uint32_t tick) {
  std::optional<Chord> c;
  for (const ChordSegment& s : segments) {
    if (s.start_tick > tick) break;
    c = s.chord;
  }
  return c;
}

// ASAP's beats of a file: seconds, and whether each is a downbeat.
std::vector<std::pair<double, bool>> read_beats(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::pair<double, bool>> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    double t = 0, t2 = 0;
    std::string label;
    if (row >> t >> t2 >> label) out.emplace_back(t, label.rfind("db", 0) == 0);
  }
  return out;
}

// Scores `segments` beat by beat; `beats` ticks with their downbeat flags, bar by bar from bar 1.
Agreement agreement(std::span<const ChordSegment> segments, const std::vector<std::pair<std::uint32_t, bool>>& beats) {
  Agreement a;
  int bar = -1;
  for (const auto& [tick, down] : beats) {
    bar += down ? 1 : 0;
    if (bar < 0 || bar >= static_cast<int>(kBars.size()) || !kBars[static_cast<std::size_t>(bar)]) continue;
    a.add(at(segments, tick), *kBars[static_cast<std::size_t>(bar)]);
  }
  EXPECT_EQ(bar + 1, 35) << "ASAP's annotation should have 35 bars";
  return a;
}

TEST(ChordLabels, BachPreludeInCScoreAndPerformanceAgainstAHandAnnotation) {
  if (!fs::is_directory(kPrelude)) GTEST_SKIP() << "corpus absent: expected " << kPrelude;
  parse::Arena arena;

  // The score, through the whole analysis (its own bar grid, 4/4 from tick 0).
  parse::InputFile score_file;
  parse::OpenError err;
  ASSERT_TRUE(score_file.open(kPrelude / "midi_score.mid", err));
  const parse::Smf score = parse::parse(score_file.bytes(), &arena);
  ASSERT_FALSE(score.failure());
  const FileFacts facts = compute_facts(score, &arena);
  const MusicalFacts music = analyze_music(score, facts, &arena);
  ASSERT_EQ(music.expressive, false);
  std::vector<ChordSegment> segments;
  for (const auto& r : music.chords) segments.push_back({r.start_tick, r.chord});
  std::vector<std::pair<std::uint32_t, bool>> grid;
  for (std::uint32_t beat = 0; beat < 35 * 4; ++beat) grid.emplace_back(beat * facts.ppq, beat % 4 == 0);
  const Agreement on_score = agreement(segments, grid);
  on_score.print("score");

  // Pardo & Birmingham's labeller beat by beat, without bars: the baseline.
  const NoteList notes = extract_notes(score, &arena);
  std::vector<std::uint32_t> beat_ticks;
  beat_ticks.reserve(grid.size());
  for (const auto& [tick, down] : grid) beat_ticks.push_back(tick);
  const auto per_beat = chord_segments(notes.notes, beat_ticks, {}, facts.end_tick, &arena);
  const Agreement beat_by_beat = agreement(per_beat, grid);
  beat_by_beat.print("score, beat by beat (no bars)");

  // The performance, on ASAP's beats: its seconds mapped to the file's ticks.
  parse::InputFile played_file;
  ASSERT_TRUE(played_file.open(kPrelude / "Shi05M.mid", err));
  const parse::Smf played = parse::parse(played_file.bytes(), &arena);
  ASSERT_FALSE(played.failure());
  const FileFacts played_facts = compute_facts(played, &arena);
  const TempoMap tempo(played, &arena);
  const auto to_tick = [&](double seconds) {
    std::uint32_t lo = 0, hi = played_facts.end_tick + 1;
    while (lo < hi) {
      const std::uint32_t mid = lo + (hi - lo) / 2;
      if (tempo.seconds(mid) < seconds) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  std::vector<std::pair<std::uint32_t, bool>> played_grid;
  std::vector<std::uint32_t> played_beats, played_bars;
  for (const auto& [seconds, down] : read_beats(kPrelude / "Shi05M_annotations.txt")) {
    played_grid.emplace_back(to_tick(seconds), down);
    played_beats.push_back(played_grid.back().first);
    if (down) played_bars.push_back(played_grid.back().first);
  }
  const NoteList played_notes = extract_notes(played, &arena);
  const auto played_weights = beat_weights(played_notes.notes, played_beats, played_facts.end_tick, &arena);
  const Agreement on_performance = agreement(track_chords(played_weights, played_bars, &arena), played_grid);
  on_performance.print("performance (Shi05M)");
  // Pardo & Birmingham's segmentation (`segment_chords`, the labeller of analysis version 3) on the
  // same beats, for comparison: 0.941 / 0.941 / 0.912 on the score, 0.925 / 0.925 / 0.895 played.
  std::vector<std::uint32_t> score_bars;
  for (std::uint32_t bar = 0; bar < 35; ++bar) score_bars.push_back(bar * 4 * facts.ppq);
  const Agreement harman_bars = agreement(chord_segments(notes.notes, beat_ticks, score_bars, facts.end_tick, &arena), grid);
  harman_bars.print("score, segment_chords (Pardo & Birmingham)");
  const Agreement harman_played = agreement(segment_chords(played_weights, played_bars, &arena), played_grid);
  harman_played.print("performance, segment_chords (Pardo & Birmingham)");

  ASSERT_EQ(on_score.beats, 34 * 4);
  // The beat-synchronous HMM of analysis version 4 (`track_chords`): 0.941 / 0.853 / 0.853 on the
  // score and 0.955 / 0.895 / 0.887 (bass 0.617) played, when written. It names the root as often as Pardo & Birmingham's segmentation; its
  // sevenths need their seventh to weigh a share of the beat (the bar's single seventh of a broken
  // chord sometimes does not), which is what keeps a pop melody's passing notes out of the label
  // (tests/analyze/pop909_test.cpp).
  EXPECT_GE(on_score.rate(on_score.root), 0.94);
  EXPECT_GE(on_score.rate(on_score.triads), 0.85);
  EXPECT_GE(on_score.rate(on_score.sevenths), 0.85);
  EXPECT_GT(on_score.root, beat_by_beat.root) << "the HMM should beat the beat-by-beat labels";
  // The performance's legato (the last harmony's bass held over the bar line) makes its basses the
  // weakest figure.
  EXPECT_GE(on_performance.rate(on_performance.root), 0.95);
  EXPECT_GE(on_performance.rate(on_performance.sevenths), 0.88);
  EXPECT_GE(on_performance.rate(on_performance.with_bass), 0.61);
}

}  // namespace
}  // namespace midisift::analyze
