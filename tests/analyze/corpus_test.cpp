// Agreement with an independent parser (mido 1.2.10) on the real corpus in ../shared/corpus.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "midisift/analyze/facts.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/parse/input_file.hpp"

namespace midisift::analyze {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kCorpus = MIDISIFT_CORPUS_DIR;
const fs::path kReference = MIDISIFT_REFERENCE;

// Files mido refuses that midisift reads without any repair, on purpose, and why.
const std::map<std::string, std::string> kReadableWhereMidoFails = {
    // SMF 1.0 "Chunks": readers must skip chunk types they do not know. mido instead requires
    // every chunk after MThd to be an MTrk.
    {"edge/jazz-soft/midi/test-non-midi-track.mid", "alien chunk, legal per SMF 1.0"},
};

std::optional<json> optional_field(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key];
}

class MidoCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kCorpus) || !fs::is_regular_file(kReference)) {
      GTEST_SKIP() << "real corpus absent: expected " << kCorpus << " and " << kReference
                   << " (the shared folder beside the checkout)";
    }
  }
};

TEST_F(MidoCorpus, FactsAgreeWithMidoOnEveryFileItReads) {
  std::ifstream in(kReference);
  std::string line;
  parse::Arena arena;
  std::size_t compared = 0;
  std::size_t refused_by_mido = 0;
  while (std::getline(in, line)) {
    const json ref = json::parse(line);
    const std::string rel = ref.at("path");
    SCOPED_TRACE(rel);
    parse::InputFile file;
    parse::OpenError err;
    const bool opened = file.open(kCorpus / rel, err);

    if (ref.contains("mido_error")) {
      ++refused_by_mido;
      if (!opened) continue;  // the empty file: refused by both
      const parse::Smf smf = parse::parse(file.bytes(), &arena);
      if (kReadableWhereMidoFails.count(rel) != 0) {
        EXPECT_EQ(smf.status(), parse::ParseStatus::Ok) << kReadableWhereMidoFails.at(rel);
      } else {
        // What mido refuses is damaged: we either fail it or say what we repaired.
        EXPECT_NE(smf.status(), parse::ParseStatus::Ok) << "mido: " << ref.at("mido_error").get<std::string>();
      }
      continue;
    }

    ASSERT_TRUE(opened) << err.message;
    std::optional<FileFacts> facts;
    {
      const parse::Smf smf = parse::parse(file.bytes(), &arena);
      ASSERT_FALSE(smf.failure()) << parse::describe(*smf.failure());
      facts = compute_facts(smf, &arena);
    }
    arena.reset();
    const FileFacts& f = *facts;
    ++compared;
    EXPECT_EQ(f.format, ref.at("format").get<int>());
    EXPECT_EQ(f.tracks, ref.at("tracks").get<std::uint32_t>());
    if (auto ppq = optional_field(ref, "ppq")) {
      EXPECT_EQ(f.ppq, ppq->get<int>());
    } else {
      EXPECT_NE(f.smpte_fps, 0);
    }
    EXPECT_EQ(f.note_on_events, ref.at("note_ons").get<std::uint64_t>());
    EXPECT_EQ(f.channel_events, ref.at("channel_events").get<std::uint64_t>());
    EXPECT_EQ(f.meta_events, ref.at("meta_events").get<std::uint64_t>());
    EXPECT_EQ(f.sysex_events, ref.at("sysex_events").get<std::uint64_t>());
    EXPECT_EQ(f.end_tick, ref.at("end_tick").get<std::uint32_t>());
    EXPECT_EQ(f.tempo_changes, ref.at("tempo_changes").get<std::uint32_t>());
    const auto pmin = optional_field(ref, "pitch_min");
    const auto pmax = optional_field(ref, "pitch_max");
    EXPECT_EQ(f.pitch_min.has_value(), pmin.has_value());
    if (f.pitch_min && pmin) {
      EXPECT_EQ(*f.pitch_min, pmin->get<int>());
    }
    if (f.pitch_max && pmax) {
      EXPECT_EQ(*f.pitch_max, pmax->get<int>());
    }
    std::uint16_t mask = 0;
    for (int c : ref.at("channels")) mask = static_cast<std::uint16_t>(mask | (1U << c));
    EXPECT_EQ(f.channel_mask, mask);
    if (auto d = optional_field(ref, "duration_seconds")) {
      ASSERT_TRUE(f.duration_seconds);
      const double want = d->get<double>();
      // Within 1 microsecond per second of music (the reference is printed to 1 us).
      EXPECT_NEAR(*f.duration_seconds, want, 1e-6 * std::max(1.0, want));
    } else {
      EXPECT_FALSE(f.duration_seconds);
    }
    ASSERT_TRUE(f.initial_bpm);
    EXPECT_NEAR(*f.initial_bpm, ref.at("initial_bpm").get<double>(), 1e-4);  // reference rounds to 4 places
  }
  EXPECT_GT(compared, 4000U) << "the reference should describe the whole corpus";
  EXPECT_GT(refused_by_mido, 0U);
}

TEST_F(MidoCorpus, EveryFileParsesTheSameWithArenaAndHeap) {
  // Every file under the corpus, whatever its name (text files too): no crash, identical results.
  parse::Arena arena;
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {
    if (!entry.is_regular_file()) continue;
    parse::InputFile file;
    parse::OpenError err;
    if (!file.open(entry.path(), err)) continue;
    ++files;
    {
      const parse::Smf a = parse::parse(file.bytes(), &arena);
      const parse::Smf h = parse::parse(file.bytes(), std::pmr::new_delete_resource());
      ASSERT_EQ(a.status(), h.status()) << entry.path();
      ASSERT_EQ(a.event_count(), h.event_count()) << entry.path();
      ASSERT_TRUE(std::equal(a.diagnostics().begin(), a.diagnostics().end(), h.diagnostics().begin(),
                             h.diagnostics().end()))
          << entry.path();
    }
    arena.reset();
  }
  EXPECT_GT(files, 4500U);
}

}  // namespace
}  // namespace midisift::analyze
