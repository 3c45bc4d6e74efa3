// The beat grid, the downbeats, the counted tempo and the chords measured against POP909's own
// annotations (Wang et al., "POP909: a pop-song dataset for music arrangement generation", ISMIR
// 2020): `beat_midi.txt` (beat times in seconds, with a downbeat flag) and `chord_midi.txt` (start,
// end, Harte label) of the odd-numbered songs in ../shared/corpus/pop909. The even-numbered songs
// are kept back, out of reach of tuning.
//
// Our own fold: songs 001, 005, 009, ... (number mod 4 = 1) are the development part, songs 003,
// 007, ... (mod 4 = 3) the validation part, looked at only to report. The comparisons follow
// mir_eval (Raffel et al., "mir_eval: a transparent implementation of common MIR metrics", ISMIR
// 2014): chords duration-weighted over the reference; `root` where the reference has a chord;
// `majmin` with the reference reduced to maj, min and N (sevenths and sixths counted as their
// triad, other qualities left out) and the estimate compared on its first 8 semitones, so that a
// sus4 or a diminished triad is wrong against a major or minor one; beats and downbeats by
// F-measure within 70 ms, the first 5 s left out of both. The thresholds are the figures when the
// analysis was written; a change that lowers them fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "midisift/analyze/facts.hpp"
#include "midisift/analyze/music.hpp"
#include "midisift/analyze/notes.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/parse/input_file.hpp"

namespace midisift::analyze {
namespace {

namespace fs = std::filesystem;
const fs::path kPop = fs::path(MIDISIFT_CORPUS_DIR) / "pop909" / "POP909";

// A chord for scoring: root pitch class (-1 for N) and its reduction (maj, min, N or other).
enum class Reduced : std::uint8_t { N, Maj, Min, Other };
struct Label {
  int root = -1;
  Reduced reduced = Reduced::N;
};

int pitch_class(std::string_view name) {
  static constexpr std::array<int, 7> kNatural{9, 11, 0, 2, 4, 5, 7};  // A B C D E F G
  if (name.empty() || name[0] < 'A' || name[0] > 'G') return -2;
  int pc = kNatural[static_cast<std::size_t>(name[0] - 'A')];
  for (const char c : name.substr(1)) pc += c == '#' ? 1 : c == 'b' ? -1 : 0;
  return (pc % 12 + 12) % 12;
}

// Harte label -> Label, the quality reduced by its first 8 semitones (mir_eval's majmin).
Label parse_label(const std::string& text) {
  if (text == "N" || text == "X") return {};
  const auto colon = text.find(':');
  Label l;
  l.root = pitch_class(text.substr(0, colon == std::string::npos ? text.find('/') : colon));
  std::string q = colon == std::string::npos ? "maj" : text.substr(colon + 1);
  q = q.substr(0, q.find('/'));
  if (q == "maj" || q == "7" || q == "maj7" || q == "maj6" || q == "9" || q == "maj9") {
    l.reduced = Reduced::Maj;
  } else if (q == "min" || q == "min7" || q == "min6" || q == "minmaj7" || q == "min9") {
    l.reduced = Reduced::Min;
  } else {
    l.reduced = Reduced::Other;
  }
  return l;
}

struct Segment {
  double start = 0, end = 0;
  Label label;
};

std::vector<Segment> read_chords(const fs::path& file) {
  std::ifstream in(file);
  std::vector<Segment> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    Segment s;
    std::string label;
    if (!(row >> s.start >> s.end >> label)) continue;
    s.label = parse_label(label);
    out.push_back(s);
  }
  return out;
}

struct Beats {
  std::vector<double> beats, downbeats;
};
Beats read_beats(const fs::path& file) {
  std::ifstream in(file);
  Beats b;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    double t = 0, beat = 0, down = 0;
    if (!(row >> t >> beat >> down)) continue;
    b.beats.push_back(t);
    if (down == 1.0) b.downbeats.push_back(t);
  }
  return b;
}

// mir_eval.beat.f_measure: beats before 5 s dropped from both, each reference beat matched to at
// most one estimate within `window` seconds.
double beat_f_measure(std::vector<double> ref, std::vector<double> est, double window = 0.07) {
  const auto trim = [](std::vector<double>& v) { v.erase(v.begin(), std::lower_bound(v.begin(), v.end(), 5.0)); };
  trim(ref);
  trim(est);
  if (ref.empty() && est.empty()) return 1.0;
  if (ref.empty() || est.empty()) return 0.0;
  std::size_t hits = 0, j = 0;
  for (const double r : ref) {
    while (j < est.size() && est[j] < r - window) ++j;
    if (j < est.size() && std::abs(est[j] - r) <= window) {
      ++hits;
      ++j;
    }
  }
  const double p = static_cast<double>(hits) / static_cast<double>(est.size());
  const double r = static_cast<double>(hits) / static_cast<double>(ref.size());
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

// Duration-weighted agreement of `est` with `ref` (both sorted, `est` covering any time with its
// segments; time outside them is N). Adds to root and majmin numerators and denominators.
struct ChordScore {
  double root_hit = 0, root_time = 0, majmin_hit = 0, majmin_time = 0;
  void add(const ChordScore& o) {
    root_hit += o.root_hit;
    root_time += o.root_time;
    majmin_hit += o.majmin_hit;
    majmin_time += o.majmin_time;
  }
  [[nodiscard]] double root() const { return root_time > 0 ? root_hit / root_time : 0; }
  [[nodiscard]] double majmin() const { return majmin_time > 0 ? majmin_hit / majmin_time : 0; }
};
ChordScore score_chords(const std::vector<Segment>& ref, const std::vector<Segment>& est) {
  ChordScore s;
  std::size_t j = 0;
  for (const Segment& r : ref) {
    while (j > 0 && est[j - 1].end > r.start) --j;
    double covered = 0;
    for (std::size_t k = j; k < est.size() && est[k].start < r.end; ++k) {
      const double overlap = std::min(r.end, est[k].end) - std::max(r.start, est[k].start);
      if (overlap <= 0) continue;
      covered += overlap;
      const Label& e = est[k].label;
      if (r.label.root >= 0) s.root_hit += e.root == r.label.root ? overlap : 0;
      if (r.label.reduced != Reduced::Other) {
        const bool same = e.reduced == r.label.reduced && (r.label.reduced == Reduced::N || e.root == r.label.root);
        s.majmin_hit += same ? overlap : 0;
      }
      j = k;
    }
    const double length = r.end - r.start;
    if (length <= 0) continue;
    if (r.label.root >= 0) s.root_time += length;
    if (r.label.reduced != Reduced::Other) {
      s.majmin_time += length;
      if (r.label.reduced == Reduced::N) s.majmin_hit += length - covered;  // uncovered time is N
    }
  }
  return s;
}

// The textbook baseline: non-overlapping 0.5 s windows, each labelled by the best of 24 binary
// triad templates (12 major, 12 minor) over the seconds its pitch classes sound; N where nothing
// sounds. No beats, no smoothing.
std::vector<Segment> template_baseline(std::span<const Note> notes, const TempoMap& tempo_map) {
  constexpr double kWindow = 0.5;
  double end = 0;
  for (const Note& n : notes) end = std::max(end, tempo_map.seconds(n.end));
  const auto windows = static_cast<std::size_t>(std::ceil(end / kWindow));
  std::vector<std::array<double, 12>> weights(windows, std::array<double, 12>{});
  for (const Note& n : notes) {
    if (n.drum()) continue;
    const double a = tempo_map.seconds(n.onset), b = tempo_map.seconds(n.end);
    for (auto w = static_cast<std::size_t>(a / kWindow); w < windows && static_cast<double>(w) * kWindow < b; ++w) {
      const double lo = std::max(a, static_cast<double>(w) * kWindow);
      const double hi = std::min(b, static_cast<double>(w + 1) * kWindow);
      if (hi > lo) weights[w][n.pitch % 12] += hi - lo;
    }
  }
  std::vector<Segment> out;
  for (std::size_t w = 0; w < windows; ++w) {
    Segment s{static_cast<double>(w) * kWindow, static_cast<double>(w + 1) * kWindow, {}};
    double best = 0;
    for (int root = 0; root < 12; ++root) {
      for (const int third : {4, 3}) {
        const auto at = [&](int i) { return weights[w][static_cast<std::size_t>((root + i) % 12)]; };
        const double fit = at(0) + at(third) + at(7);
        if (fit > best) {
          best = fit;
          s.label = {root, third == 4 ? Reduced::Maj : Reduced::Min};
        }
      }
    }
    out.push_back(s);
  }
  return out;
}

struct Fold {
  ChordScore ours, baseline;
  double beat_f = 0, downbeat_f = 0;
  int songs = 0, labelled = 0, tempo_hits = 0;
};

// Every odd song of POP909 with both annotations, analysed, into the fold of its number.
void measure(Fold& dev, Fold& val) {
  parse::Arena arena;
  for (const auto& dir : fs::directory_iterator(kPop)) {
    const std::string name = dir.path().filename().string();
    const fs::path chords = dir.path() / "chord_midi.txt", beats = dir.path() / "beat_midi.txt";
    if (!fs::exists(chords) || !fs::exists(beats)) continue;
    const int number = std::stoi(name);
    Fold& fold = number % 4 == 1 ? dev : val;
    parse::InputFile file;
    parse::OpenError err;
    ASSERT_TRUE(file.open(dir.path() / (name + ".mid"), err)) << name;
    arena.reset();
    const parse::Smf smf = parse::parse(file.bytes(), &arena);
    ASSERT_FALSE(smf.failure()) << name;
    const FileFacts facts = compute_facts(smf, &arena);
    const MusicalFacts music = analyze_music(smf, facts, &arena);
    const NoteList notes = extract_notes(smf, &arena);
    const TempoMap tempo_map(smf, &arena);

    const std::vector<Segment> ref = read_chords(chords);
    std::vector<Segment> est;
    for (std::size_t i = 0; i < music.chords.size(); ++i) {
      const auto& c = music.chords[i];
      const double end = i + 1 < music.chords.size() ? music.chords[i + 1].start_seconds : 1e9;
      est.push_back({c.start_seconds, end, c.chord ? parse_label(chord_label(*c.chord)) : Label{}});
    }
    fold.ours.add(score_chords(ref, est));
    fold.baseline.add(score_chords(ref, template_baseline(notes.notes, tempo_map)));
    if (!music.chords.empty()) ++fold.labelled;

    const Beats truth = read_beats(beats);
    std::vector<double> b, d;
    for (const auto& beat : music.beats) {
      b.push_back(beat.seconds);
      if (beat.downbeat) d.push_back(beat.seconds);
    }
    fold.beat_f += beat_f_measure(truth.beats, b);
    fold.downbeat_f += beat_f_measure(truth.downbeats, d);
    // The annotated beat rate: 60 / the median inter-beat interval.
    std::vector<double> ibi;
    for (std::size_t i = 1; i < truth.beats.size(); ++i) ibi.push_back(truth.beats[i] - truth.beats[i - 1]);
    std::nth_element(ibi.begin(), ibi.begin() + static_cast<std::ptrdiff_t>(ibi.size() / 2), ibi.end());
    const double annotated = ibi.empty() ? 0 : 60.0 / ibi[ibi.size() / 2];
    if (music.estimated_tempo && std::abs(music.estimated_tempo->bpm / annotated - 1) <= 0.04) ++fold.tempo_hits;
    ++fold.songs;
  }
}

void print(const char* name, const Fold& f) {
  std::printf("POP909 %s: %d songs, %d with chords; chords root %.3f majmin %.3f (0.5 s template baseline %.3f / "
              "%.3f); beat F %.3f, downbeat F %.3f; estimated_bpm acc1 %.3f\n",
              name, f.songs, f.labelled, f.ours.root(), f.ours.majmin(), f.baseline.root(), f.baseline.majmin(),
              f.beat_f / f.songs, f.downbeat_f / f.songs, static_cast<double>(f.tempo_hits) / f.songs);
}

TEST(Pop909Labels, ChordsBeatsAndTempoOfTheAnnotatedSongs) {
  if (!fs::is_directory(kPop)) GTEST_SKIP() << "corpus absent: expected " << kPop;
  Fold dev, val;
  measure(dev, val);
  print("development (mod 4 = 1)", dev);
  print("validation (mod 4 = 3)", val);
  ASSERT_GT(dev.songs + val.songs, 400) << "expected the 455 odd songs' annotations";
  // When written (analysis version 4): development 0.873 / 0.860 against the baseline's 0.802 /
  // 0.770, validation 0.896 / 0.883 against 0.809 / 0.773; beat F 0.950 / 0.954, downbeat F 0.690 /
  // 0.647, estimated_bpm acc1 0.965 / 0.974. Analysis version 3 (Pardo & Birmingham's segmentation
  // on the notated grid, chords for quantised files only): 0.752 / 0.699 and 0.772 / 0.721.
  for (const Fold* f : {&dev, &val}) {
    EXPECT_GE(f->labelled, f->songs * 95 / 100) << "every song with notes gets chords";
    EXPECT_GE(f->ours.root(), f->baseline.root() + 0.05) << "the 0.5 s template matcher is the floor";
    EXPECT_GE(f->ours.majmin(), f->baseline.majmin() + 0.06);
    EXPECT_GE(f->beat_f / f->songs, 0.94);
    EXPECT_GE(f->downbeat_f / f->songs, 0.62);
    EXPECT_GE(static_cast<double>(f->tempo_hits) / f->songs, 0.95);
  }
  EXPECT_GE(dev.ours.root(), 0.865);
  EXPECT_GE(dev.ours.majmin(), 0.85);
  EXPECT_GE(val.ours.root(), 0.885);
  EXPECT_GE(val.ours.majmin(), 0.87);
}

// POP909's songs are quantised, each to a grid that starts its own few ticks late (they were aligned
// to their audio): `grid_offset` finds the phase, and NOMML measured against it reads them as
// quantised. Before (analysis version 3) 749 of the 909 songs read as performances. The offset is
// checked against the annotated beats of the odd songs: the first annotated beat, in ticks through
// the tempo map, lies on the shifted quarter-note grid (within 2 ticks).
TEST(Pop909Labels, EverySongIsQuantisedOnItsOwnGridPhase) {
  if (!fs::is_directory(kPop)) GTEST_SKIP() << "corpus absent: expected " << kPop;
  parse::Arena arena;
  int songs = 0, quantised = 0, phased = 0, on_phase = 0;
  for (const auto& dir : fs::directory_iterator(kPop)) {
    const std::string name = dir.path().filename().string();
    parse::InputFile file;
    parse::OpenError err;
    if (!file.open(dir.path() / (name + ".mid"), err)) continue;
    arena.reset();
    const parse::Smf smf = parse::parse(file.bytes(), &arena);
    if (smf.failure()) continue;
    const FileFacts facts = compute_facts(smf, &arena);
    const MusicalFacts music = analyze_music(smf, facts, &arena);
    ++songs;
    quantised += music.expressive == false ? 1 : 0;
    const fs::path beats = dir.path() / "beat_midi.txt";
    if (!fs::exists(beats) || !music.grid_offset_ticks) continue;
    const Beats truth = read_beats(beats);
    if (truth.beats.empty()) continue;
    // The annotated beat in the middle of the song, as a tick: searched through the tempo map.
    const TempoMap tempo_map(smf, &arena);
    const double at = truth.beats[truth.beats.size() / 2];
    std::uint32_t lo = 0, hi = facts.end_tick;
    while (lo < hi) {
      const std::uint32_t mid = lo + (hi - lo) / 2;
      if (tempo_map.seconds(mid) < at) lo = mid + 1;
      else hi = mid;
    }
    const std::uint32_t ppq = facts.ppq;
    const std::uint32_t d = (lo + ppq - *music.grid_offset_ticks % ppq) % ppq;
    ++phased;
    on_phase += std::min(d, ppq - d) <= 2 ? 1 : 0;
  }
  std::printf("POP909: %d songs, %d quantised; grid phase on the annotated beat in %d of %d odd songs\n", songs,
              quantised, on_phase, phased);
  ASSERT_GT(songs, 900);
  // 883 when written: of the other 26, the piano track of most is played (4-30 % of its onsets on
  // any sixteenth phase) and one changes tempo 14 times.
  EXPECT_GE(quantised, 880);
  EXPECT_GT(phased, 430);           // 438 odd songs quantised when written
  EXPECT_GE(on_phase, phased - 4);  // 437 of 438
}

}  // namespace
}  // namespace midisift::analyze
