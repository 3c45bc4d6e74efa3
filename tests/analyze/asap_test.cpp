// Tempo and key estimation measured against the ASAP dataset's annotations (Foscarin et al.,
// "ASAP: a dataset of aligned scores and performances for piano transcription", ISMIR 2020),
// for every performance in ../shared/corpus/asap. The thresholds are the scores reached when the
// estimators were written; a change that lowers them fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "midisift/analyze/facts.hpp"
#include "midisift/analyze/music.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/parse/input_file.hpp"

namespace midisift::analyze {
namespace {

namespace fs = std::filesystem;
const fs::path kAsap = fs::path(MIDISIFT_CORPUS_DIR) / "asap";

struct Annotation {
  double beat_bpm = 0;  // 60 / median inter-beat interval
  int sharps = 0;       // key signature at the start: sharps > 0, flats < 0
  bool has_key = false;
};

// ASAP "*_annotations.txt": "time<TAB>time<TAB>label", label "b" (beat), "db" (downbeat) or
// "db,N/D,K" where K is the key signature in sharps (negative: flats). ASAP gives no mode.
std::optional<Annotation> read_annotation(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::vector<double> beats;
  Annotation a;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    double t = 0, t2 = 0;
    std::string label;
    if (!(row >> t >> t2 >> label)) continue;
    beats.push_back(t);
    const auto first = label.find(',');
    const auto last = label.rfind(',');
    if (!a.has_key && first != std::string::npos && last != first) {
      a.sharps = std::stoi(label.substr(last + 1));
      a.has_key = true;
    }
  }
  if (beats.size() < 3) return std::nullopt;
  std::vector<double> ibi;
  for (std::size_t i = 1; i < beats.size(); ++i) ibi.push_back(beats[i] - beats[i - 1]);
  std::nth_element(ibi.begin(), ibi.begin() + static_cast<std::ptrdiff_t>(ibi.size() / 2), ibi.end());
  a.beat_bpm = 60.0 / ibi[ibi.size() / 2];
  return a;
}

// MIREX audio key detection weights: same key 1, a fifth apart (same mode) 0.5, relative 0.3,
// parallel 0.2, otherwise 0.
double mirex(Key est, Key ref) {
  if (est == ref) return 1.0;
  if (est.mode == ref.mode && ((est.tonic + 12 - ref.tonic) % 12 == 7 || (ref.tonic + 12 - est.tonic) % 12 == 7)) {
    return 0.5;
  }
  if (est.mode != ref.mode) {
    const Key major = est.mode == Mode::Major ? est : ref;
    const Key minor = est.mode == Mode::Minor ? est : ref;
    if ((major.tonic + 9) % 12 == minor.tonic) return 0.3;
    if (major.tonic == minor.tonic) return 0.2;
  }
  return 0.0;
}

// A figure over a set of files: sum and count.
struct Figure {
  double sum = 0;
  int n = 0;
  void add(double x) {
    sum += x;
    ++n;
  }
  [[nodiscard]] double mean() const { return n > 0 ? sum / n : 0.0; }
};

// The figures of one part of ASAP (development or held-out).
struct Scores {
  Figure key, key_kk, key_ae;    // MIREX over performances with a key: midisift, Krumhansl-Kessler, Aarden-Essen
  Figure key_scores;             // MIREX over the scores (midi_score.mid), midisift
  Figure acc1, acc2;             // tempo over performances (estimated_bpm)
  Figure beat_acc1_scores;       // beat_bpm over the scores
  Figure expressive;             // `expressive` right: scores quantised, performances expressive
  std::array<Figure, 10> calibration;  // key exact (signature) by confidence decile, performances
};

// ASAP's development part and the held-out one: the composers from Schubert on, alphabetically
// (Schubert, Schumann, Scriabin), kept aside while the estimators were written and scored once.
bool held_out(const fs::path& file) {
  return fs::relative(file, kAsap).begin()->string() >= "Schubert";
}

std::array<Scores, 2> evaluate() {
  std::array<Scores, 2> parts;  // [0] development, [1] held-out
  parse::Arena arena;
  for (const auto& entry : fs::recursive_directory_iterator(kAsap)) {
    const fs::path& p = entry.path();
    const std::string name = p.filename().string();
    const std::string suffix = "_annotations.txt";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const bool score = name == "midi_score_annotations.txt";
    const fs::path midi = p.parent_path() / (name.substr(0, name.size() - suffix.size()) + ".mid");
    const auto ann = read_annotation(p);
    if (!ann || !fs::exists(midi)) continue;
    parse::InputFile file;
    parse::OpenError err;
    if (!file.open(midi, err)) continue;
    arena.reset();
    const parse::Smf smf = parse::parse(file.bytes(), &arena);
    if (smf.failure()) continue;
    Scores& s = parts[held_out(p) ? 1 : 0];
    const FileFacts facts = compute_facts(smf, &arena);
    const MusicalFacts music = analyze_music(smf, facts, &arena);
    s.expressive.add(music.expressive == !score ? 1.0 : 0.0);
    auto within = [](double r, double f) { return std::abs(r / f - 1) <= 0.04; };
    if (score) {
      const double r = music.beat_tempo ? music.beat_tempo->bpm / ann->beat_bpm : 0.0;
      s.beat_acc1_scores.add(within(r, 1) ? 1.0 : 0.0);
    } else {
      const double r = music.estimated_tempo ? music.estimated_tempo->bpm / ann->beat_bpm : 0.0;
      s.acc1.add(within(r, 1) ? 1.0 : 0.0);
      bool level = false;
      for (const double f : {1.0, 2.0, 0.5, 3.0, 1.0 / 3.0}) level = level || within(r, f);
      s.acc2.add(level ? 1.0 : 0.0);
    }
    if (!ann->has_key) continue;
    // ASAP annotates key signatures, not keys: the reference takes the estimate's mode.
    auto mirex_of = [&](const std::optional<KeyEstimate>& k) {
      if (!k) return 0.0;
      return mirex(k->key, KeySignature{static_cast<std::int8_t>(ann->sharps), k->key.mode}.key());
    };
    if (score) {
      s.key_scores.add(mirex_of(music.estimated_key));
      continue;
    }
    s.key.add(mirex_of(music.estimated_key));
    if (music.estimated_key) {
      const auto decile = static_cast<std::size_t>(std::clamp(music.estimated_key->confidence * 10, 0.0, 9.0));
      s.calibration[decile].add(mirex_of(music.estimated_key) == 1.0 ? 1.0 : 0.0);
    }
    // The textbook Krumhansl-Schmuckler method beside it: the duration profile, drums excluded.
    std::array<double, 12> pcp{};
    const NoteList notes = extract_notes(smf, &arena);
    for (const auto& n : notes.notes) {
      if (!n.drum()) pcp[n.pitch % 12] += n.duration();
    }
    s.key_kk.add(mirex_of(estimate_key(pcp, KeyProfile::KrumhanslKessler)));
    s.key_ae.add(mirex_of(estimate_key(pcp, KeyProfile::AardenEssen)));
  }
  return parts;
}

class Asap : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kAsap)) GTEST_SKIP() << "ASAP corpus absent: expected " << kAsap;
  }
};

TEST_F(Asap, EstimatesReachTheRecordedScoresOnTheDevelopmentAndHeldOutParts) {
  const auto parts = evaluate();
  for (int i = 0; i < 2; ++i) {
    const Scores& s = parts[static_cast<std::size_t>(i)];
    std::printf("ASAP %s: %d performances, %d scores\n", i == 0 ? "development" : "held-out (Schubert on)", s.acc1.n,
                s.beat_acc1_scores.n);
    std::printf("  key MIREX, performances: midisift %.3f, Krumhansl-Kessler %.3f, Aarden-Essen %.3f; scores: %.3f\n",
                s.key.mean(), s.key_kk.mean(), s.key_ae.mean(), s.key_scores.mean());
    std::printf("  tempo, performances: acc1 %.3f, acc2 %.3f (x2, x1/2, x3, x1/3); beat_bpm of scores acc1 %.3f\n",
                s.acc1.mean(), s.acc2.mean(), s.beat_acc1_scores.mean());
    std::printf("  expressive right: %.4f of %d files\n", s.expressive.mean(), s.expressive.n);
    for (std::size_t d = 0; d < 10; ++d) {
      if (s.calibration[d].n > 0) {
        std::printf("  key confidence %.1f-%.1f: %d performances, %.3f exact\n", static_cast<double>(d) / 10.0, static_cast<double>(d + 1) / 10.0,
                    s.calibration[d].n, s.calibration[d].mean());
      }
    }
  }
  const Scores& dev = parts[0];
  const Scores& held = parts[1];
  ASSERT_GT(dev.acc1.n + held.acc1.n, 1000) << "expected the ~1,070 ASAP performances";
  // Reached on 2026-11-30 (development; held-out scored once, afterwards): see the closing note of
  // issue 21 and bench/README.md.
  EXPECT_GE(dev.key.mean(), 0.90);
  EXPECT_GE(dev.key.mean(), dev.key_kk.mean());
  EXPECT_GE(dev.key.mean(), dev.key_ae.mean());
  EXPECT_GE(held.key.mean(), held.key_kk.mean());
  EXPECT_GE(held.key.mean(), held.key_ae.mean());
  EXPECT_GE(dev.key_scores.mean(), 0.95);
  // Onsets weighted by learned beat salience (trained on the development part only): 0.405 / 0.660
  // and 0.369 / 0.505 when written; 0.378 / 0.592 and 0.282 / 0.359 by durational accent.
  EXPECT_GE(dev.acc1.mean(), 0.40);
  EXPECT_GE(dev.acc2.mean(), 0.65);
  EXPECT_GE(held.acc1.mean(), 0.36);
  EXPECT_GE(held.acc2.mean(), 0.50);
  // The notated beat through the tempo map (median beat length, the prevailing meter's beat, 6/4
  // compound): 0.976 and 0.964 when written; 0.734 and 0.607 with the first signature's mean tempo.
  EXPECT_GE(dev.beat_acc1_scores.mean(), 0.96);
  EXPECT_GE(held.beat_acc1_scores.mean(), 0.95);
  EXPECT_GE(dev.expressive.mean(), 0.99);
  EXPECT_GE(held.expressive.mean(), 0.99);
}

// Calls `use(smf, facts, music, arena)` for every MIDI file under `dir` (.mid, .MID, .kar) that
// parses, skipping paths that contain `skip` (when not empty). The arena is reset before each file:
// what `use` allocates from it lives until the next file.
template <typename Use>
void for_each_analyzed(const fs::path& dir, std::string_view skip, Use use) {
  parse::Arena arena;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const auto ext = entry.path().extension().string();
    if (ext != ".mid" && ext != ".MID" && ext != ".kar") continue;
    if (!skip.empty() && entry.path().string().find(skip) != std::string::npos) continue;
    parse::InputFile file;
    parse::OpenError err;
    if (!file.open(entry.path(), err)) continue;
    arena.reset();
    const parse::Smf smf = parse::parse(file.bytes(), &arena);
    if (smf.failure()) continue;
    const FileFacts facts = compute_facts(smf, &arena);
    const MusicalFacts music = analyze_music(smf, facts, &arena);
    use(smf, facts, music, arena);
  }
}

// Labels that do not come from ASAP: files elsewhere in the corpus with one key signature event of
// 1-7 sharps or flats (Raffel & Ellis, ISMIR 2016: such events agree with annotated keys 84 % of
// the time; C major ones are mostly a sequencer's default and are left out). The estimate is
// computed without the key signature (it would be its own label); the textbook methods beside it.
TEST(KeySignatureLabels, TheEstimateWithoutTheSignatureIsNeverBelowTheTextbookMethods) {
  const fs::path corpus(MIDISIFT_CORPUS_DIR);
  if (!fs::is_directory(corpus)) GTEST_SKIP() << "corpus absent: expected " << corpus;
  Figure ours, kk, ae, ours_sig, kk_sig, ae_sig;
  for_each_analyzed(corpus, "/asap/", [&](const parse::Smf& smf, const FileFacts& facts, const MusicalFacts& music,
                                          parse::Arena& arena) {
    if (!music.key_signature || music.key_signature->sharps == 0 || music.key_signature_changes != 1 ||
        music.notes < 20) {
      return;
    }
    const NoteList notes = extract_notes(smf, &arena);
    const KeyEvidence evidence = key_evidence(notes.notes, facts.ppq, 0.0, std::nullopt);
    const Key label = music.key_signature->key();
    auto score = [&](const std::optional<KeyEstimate>& k, Figure& with_mode, Figure& signature) {
      with_mode.add(k ? mirex(k->key, label) : 0.0);
      signature.add(k ? mirex(k->key, KeySignature{music.key_signature->sharps, k->key.mode}.key()) : 0.0);
    };
    score(estimate_key(evidence), ours, ours_sig);
    score(estimate_key(evidence.profile, KeyProfile::KrumhanslKessler), kk, kk_sig);
    score(estimate_key(evidence.profile, KeyProfile::AardenEssen), ae, ae_sig);
  });
  std::printf("key signature labels: %d files; MIREX with the signature's mode: midisift %.3f, Krumhansl-Kessler "
              "%.3f, Aarden-Essen %.3f; signature only: %.3f, %.3f, %.3f\n",
              ours.n, ours.mean(), kk.mean(), ae.mean(), ours_sig.mean(), kk_sig.mean(), ae_sig.mean());
  ASSERT_GT(ours.n, 50) << "expected about 90 labelled files outside ASAP";
  EXPECT_GE(ours.mean(), kk.mean());
  EXPECT_GE(ours.mean(), ae.mean());
  EXPECT_GE(ours_sig.mean(), kk_sig.mean());
  EXPECT_GE(ours_sig.mean(), ae_sig.mean());
}

// Labels outside ASAP for the counted tempo: POP909's songs (and their versions) that keep one tempo
// throughout (the tempo map's slowest and fastest within 2 %): the map's quarter note is the beat
// of a pop song in 4/4. Until analysis version 4 most of them read as performances (their grid
// starts a few ticks late: `grid_offset`), and the onsets alone gave 0.448 / 0.974 (beat salience)
// over the 1,787 read so; now they are quantised, and their onsets agree with the tempo map.
TEST(TempoMapLabels, PopSongsWithOneTempoGetTheirBeat) {
  const fs::path pop = fs::path(MIDISIFT_CORPUS_DIR) / "pop909";
  if (!fs::is_directory(pop)) GTEST_SKIP() << "corpus absent: expected " << pop;
  Figure acc1, acc2, quantised;
  for_each_analyzed(pop, "", [&](const parse::Smf&, const FileFacts&, const MusicalFacts& music, parse::Arena&) {
    if (!music.tempo_min_bpm || !music.tempo_max_bpm || !music.tempo_mean_bpm) return;
    if (*music.tempo_max_bpm > *music.tempo_min_bpm * 1.02) return;
    const double r = music.estimated_tempo ? music.estimated_tempo->bpm / *music.tempo_mean_bpm : 0.0;
    auto within = [r](double f) { return std::abs(r / f - 1.0) <= 0.04; };
    acc1.add(within(1) ? 1.0 : 0.0);
    acc2.add(within(1) || within(2) || within(0.5) || within(3) || within(1.0 / 3) ? 1.0 : 0.0);
    quantised.add(music.expressive == false ? 1.0 : 0.0);
  });
  std::printf("POP909 songs of one tempo: %d files, %.3f quantised; estimated_bpm acc1 %.3f, acc2 %.3f\n", acc1.n,
              quantised.mean(), acc1.mean(), acc2.mean());
  ASSERT_GT(acc1.n, 2000) << "expected about 2,170 such files";
  EXPECT_GE(quantised.mean(), 0.97);  // 0.978 when written
  EXPECT_GE(acc1.mean(), 0.97);  // 0.980
  EXPECT_GE(acc2.mean(), 0.98);  // 0.987
}

}  // namespace
}  // namespace midisift::analyze
