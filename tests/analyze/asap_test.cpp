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

struct Scores {
  int performances = 0, tempo_estimated = 0, key_estimated = 0;
  int acc1 = 0, acc2 = 0;
  double mirex_sum = 0;
  int signature_correct = 0;
};

Scores evaluate(KeyProfile profile) {
  Scores s;
  parse::Arena arena;
  for (const auto& entry : fs::recursive_directory_iterator(kAsap)) {
    const fs::path& p = entry.path();
    const std::string name = p.filename().string();
    const std::string suffix = "_annotations.txt";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    if (name == "midi_score_annotations.txt") continue;  // scores, not performances
    const fs::path midi = p.parent_path() / (name.substr(0, name.size() - suffix.size()) + ".mid");
    const auto ann = read_annotation(p);
    if (!ann || !fs::exists(midi)) continue;
    parse::InputFile file;
    parse::OpenError err;
    if (!file.open(midi, err)) continue;
    arena.reset();
    const parse::Smf smf = parse::parse(file.bytes(), &arena);
    if (smf.failure()) continue;
    ++s.performances;
    const FileFacts facts = compute_facts(smf, &arena);
    const MusicalFacts music = analyze_music(smf, facts, &arena);
    if (music.estimated_tempo) {
      ++s.tempo_estimated;
      const double r = music.estimated_tempo->bpm / ann->beat_bpm;
      if (std::abs(r - 1) <= 0.04) ++s.acc1;
      if (std::abs(r - 1) <= 0.04 || std::abs(r / 2 - 1) <= 0.04 || std::abs(r * 2 - 1) <= 0.04) ++s.acc2;
    }
    if (ann->has_key) {
      // Recompute the key with the profile under test from the notes' duration profile.
      std::array<double, 12> pcp{};
      const NoteList notes = extract_notes(smf, &arena);
      for (const auto& n : notes.notes) {
        if (!n.drum()) pcp[n.pitch % 12] += n.duration();
      }
      if (const auto k = estimate_key(pcp, profile)) {
        ++s.key_estimated;
        // ASAP annotates key signatures, not keys: the reference takes the estimate's mode.
        const Key ref = KeySignature{static_cast<std::int8_t>(ann->sharps), k->key.mode}.key();
        s.mirex_sum += mirex(k->key, ref);
        s.signature_correct += k->key == ref ? 1 : 0;
      }
    }
  }
  return s;
}

class Asap : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kAsap)) GTEST_SKIP() << "ASAP corpus absent: expected " << kAsap;
  }
};

TEST_F(Asap, TempoAndKeyEstimationReachTheRecordedScores) {
  const Scores s = evaluate(KeyProfile::Temperley);
  ASSERT_GT(s.performances, 1000) << "expected the ~1,070 ASAP performances";
  const double acc1 = double(s.acc1) / s.performances;
  const double acc2 = double(s.acc2) / s.performances;
  const double key = s.mirex_sum / s.performances;
  std::printf("ASAP: %d performances; tempo within 4%%: %.3f, allowing double/half: %.3f; "
              "key MIREX score %.3f (signature exact %.3f)\n",
              s.performances, acc1, acc2, key, double(s.signature_correct) / s.performances);
  for (const auto p : {KeyProfile::KrumhanslKessler, KeyProfile::AardenEssen}) {
    const Scores o = evaluate(p);
    std::printf("  key MIREX score with profile %d: %.3f\n", static_cast<int>(p), o.mirex_sum / o.performances);
  }
  // Reached on 2026-11-20: 0.310, 0.458, 0.884.
  EXPECT_GE(acc1, 0.31);
  EXPECT_GE(acc2, 0.45);
  EXPECT_GE(key, 0.88);
}

}  // namespace
}  // namespace midisift::analyze
