#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "collection.hpp"
#include "scan.hpp"
#include "smf_builder.hpp"
#include "song_builder.hpp"
#include "run_binary.hpp"
#include "temp_dir.hpp"

namespace midisift::cli {
namespace {

using test::Run;

namespace fs = std::filesystem;
using namespace midisift::test;

Bytes good_file(std::uint8_t pitch) {
  return cat({mthd(1, 2, 96), mtrk(cat({{0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20}, kEot})),
              mtrk(cat({{0x00, 0x90, pitch, 0x40}, {0x60, 0x80, pitch, 0x00}, kEot}))});
}

// A folder with every kind of entry a scan meets: good, damaged, empty, not MIDI, a folder named
// like a MIDI file, names in other cases, files to ignore.
void make_collection(const fs::path& root) {
  write_file(root / "a.mid", good_file(60));
  write_file(root / "sub" / "b.MID", good_file(62));
  write_file(root / "sub" / "deeper" / "c.kar", good_file(64));
  write_file(root / "damaged.midi", cat({mthd(0, 1, 96), mtrk({0x00, 0x90, 0x3C, 0x40})}));  // no End of Track
  write_file(root / "empty.mid", {});
  write_file(root / "text.mid", {'n', 'o', 't', ' ', 'm', 'i', 'd', 'i', ' ', 'a', 't', ' ', 'a', 'l', 'l'});
  write_file(root / "notes.txt", {'x'});
  fs::create_directories(root / "folder.mid" / "inner");
  write_file(root / "folder.mid" / "inner" / "d.smf", good_file(65));
}

TEST(Scan, EveryFileGetsARowAndFailuresDoNotStopTheBatch) {
  TempDir dir;
  make_collection(dir.path() / "c");
  for (const auto alloc : {AllocStrategy::Arena, AllocStrategy::Heap}) {
    ScanOptions o;
    o.roots = {dir.path() / "c"};
    o.database = dir.path() / (alloc == AllocStrategy::Arena ? "arena.db" : "heap.db");
    o.jobs = 2;
    o.alloc = alloc;
    o.progress = false;
    std::ostringstream warnings;
    const ScanSummary s = run_scan(o, warnings);
    EXPECT_EQ(s.files, 7U);
    EXPECT_EQ(s.ok, 4U);
    EXPECT_EQ(s.recovered, 1U);
    EXPECT_EQ(s.failed, 2U);
    EXPECT_EQ(s.walk_errors, 0U);
    EXPECT_EQ(warnings.str(), "");
    const auto& db = o.database;
    EXPECT_EQ(query(db, "SELECT count(*) FROM files"), "7");
    const std::string rel = "replace(path, '" + (dir.path() / "c").string() + "/', '')";
    EXPECT_EQ(query(db, "SELECT " + rel + ", status, ifnull(error_code, '') FROM files ORDER BY path"),
              "a.mid|ok|\n"
              "damaged.midi|recovered|\n"
              "empty.mid|failed|empty_file\n"
              "folder.mid/inner/d.smf|ok|\n"
              "sub/b.MID|ok|\n"
              "sub/deeper/c.kar|ok|\n"
              "text.mid|failed|not_midi");
    EXPECT_EQ(query(db, "SELECT code, track, offset FROM diagnostics"), "missing_end_of_track|0|26");
    EXPECT_EQ(query(db, "SELECT note_on_events, pitch_min, duration_seconds, channels FROM files WHERE path LIKE "
                        "'%b.MID'"),
              "1|62|0.5|[0]");
  }
  // Arena and heap runs store the same facts.
  const std::string facts =
      "SELECT path, size_bytes, md5, status, format, tracks, ppq, note_on_events, channel_events, meta_events, "
      "end_tick, duration_seconds, pitch_min, pitch_max, channels, diagnostic_count FROM files ORDER BY path";
  const auto arena = query(dir.path() / "arena.db", facts);
  EXPECT_EQ(arena, query(dir.path() / "heap.db", facts));
}

TEST(Scan, RescanReplacesRowsInsteadOfDuplicating) {
  TempDir dir;
  make_collection(dir.path() / "c");
  ScanOptions o;
  o.roots = {dir.path() / "c"};
  o.database = dir.path() / "x.db";
  o.progress = false;
  std::ostringstream warnings;
  (void)run_scan(o, warnings);
  (void)run_scan(o, warnings);
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM files"), "7");
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM diagnostics"), "1");
}

TEST(Scan, StrictModeFailsDamagedFiles) {
  TempDir dir;
  make_collection(dir.path() / "c");
  ScanOptions o;
  o.roots = {dir.path() / "c" / "damaged.midi"};
  o.database = dir.path() / "x.db";
  o.strict = true;
  o.progress = false;
  std::ostringstream warnings;
  const auto s = run_scan(o, warnings);
  EXPECT_EQ(s.failed, 1U);
  EXPECT_EQ(query(o.database, "SELECT error_code, error FROM files"),
            "strict_violation|strict mode refused a repair (missing_end_of_track) at byte 26");
}

TEST(Scan, AMissingRootStopsTheScanBeforeTheDatabaseIsCreated) {
  // A mistyped root is an error of the command, found before any work: no database is left behind.
  TempDir dir;
  make_collection(dir.path() / "c");
  ScanOptions o;
  o.roots = {dir.path() / "c" / "a.mid", dir.path() / "nope"};
  o.database = dir.path() / "x.db";
  o.progress = false;
  std::ostringstream warnings;
  try {
    (void)run_scan(o, warnings);
    FAIL() << "scanned with a missing root";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope: no such file or folder"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(o.database));
  const auto r = test::run_midisift("scan " + (dir.path() / "nope").string() + " --db " + o.database.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("nope: no such file or folder"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(o.database));
}

TEST(Scan, PathsAreStoredInOneCanonicalFormWhateverTheSpelling) {
  // mini/a.mid, ./mini/a.mid, /abs/mini/a.mid and mini//sub/../a.mid are one file: one row, no
  // false duplicate group.
  TempDir dir;
  make_collection(dir.path() / "mini");
  ScanOptions o;
  o.database = dir.path() / "x.db";
  o.progress = false;
  const auto cwd = fs::current_path();
  fs::current_path(dir.path());
  std::ostringstream warnings;
  for (const char* root : {"mini/a.mid", "./mini/a.mid", "mini//sub/../a.mid", "mini/"}) {
    o.roots = {root};
    (void)run_scan(o, warnings);
  }
  o.roots = {dir.path() / "mini" / "a.mid"};
  (void)run_scan(o, warnings);
  fs::current_path(cwd);
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM files WHERE path LIKE '%a.mid'"), "1");
  EXPECT_EQ(query(o.database, "SELECT path FROM files WHERE path LIKE '%/a.mid'"), (dir.path() / "mini" / "a.mid").string());
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM byte_duplicates"), "0");
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM files"), "7");
}

// ---- the real executable ---------------------------------------------------------------------

Run run(const std::string& args) { return test::run_midisift(args); }

TEST(Scan, StoresTheMusicalAnalysisAndGroupsMusicalDuplicates) {
  // A C major scale (C, E and G held longer) at ppq 96, the same re-saved at ppq 192 with running
  // status, and the scale a semitone up; plus a drum bar repeated four times.
  TempDir dir;
  SongTrack scale;
  const std::uint8_t pitches[] = {60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60};
  std::uint32_t at = 0;
  for (const auto p : pitches) {
    const std::uint32_t len = (p % 12 == 0 || p % 12 == 4 || p % 12 == 7) ? 192 : 96;
    scale.notes.push_back({at, at + len, p});
    at += len;
  }
  scale.events = {{0, {0xC0, 40}}};  // Violin
  SongTrack doubled = scale;
  for (auto& n : doubled.notes) {
    n.onset *= 2;
    n.end *= 2;
  }
  SongTrack up = scale;
  for (auto& n : up.notes) ++n.pitch;
  SongTrack drums;
  for (std::uint32_t b = 0; b < 4; ++b) {
    for (std::uint32_t i = 0; i < 4; ++i) drums.notes.push_back({b * 384 + i * 96, b * 384 + i * 96 + 24, 36, 9});
  }
  fs::create_directories(dir.path() / "m");
  write_file(dir.path() / "m" / "a.mid", song(96, {scale, drums}));
  write_file(dir.path() / "m" / "b.mid", song(192, {[&] { auto d = drums; for (auto& n : d.notes) { n.onset *= 2; n.end *= 2; } return d; }(), doubled}, {true, true}));
  write_file(dir.path() / "m" / "c.mid", song(96, {up, drums}));
  const fs::path db = dir.path() / "m.db";
  ScanOptions o;
  o.roots = {dir.path() / "m"};
  o.database = db;
  o.jobs = 2;
  o.progress = false;
  std::ostringstream warnings;
  ASSERT_EQ(run_scan(o, warnings).failed, 0U) << warnings.str();
  EXPECT_EQ(query(db, "SELECT count(DISTINCT md5), count(DISTINCT fingerprint) FROM files"), "3|2");
  EXPECT_EQ(query(db, "SELECT min(substr(path, -5)) || ',' || max(substr(path, -5)) FROM files GROUP BY fingerprint "
                      "HAVING count(*) > 1"),
            "a.mid,b.mid");
  EXPECT_EQ(query(db, "SELECT estimated_key_tonic, estimated_key_mode FROM files ORDER BY path"),
            "0|major\n0|major\n1|major");
  EXPECT_EQ(query(db, "SELECT notes, drum_notes, gm_families, n_pitches_used, pitch_range_span FROM files WHERE path LIKE "
                      "'%a.mid'"),
            "27|16|[\"Strings\",\"Drums\"]|8|12");
  EXPECT_EQ(query(db, "SELECT i.track, i.channel, i.program, i.name, i.family, i.notes FROM instruments i JOIN files f "
                      "ON f.id = i.file_id WHERE f.path LIKE '%a.mid' ORDER BY i.track"),
            "0|0|40|Violin|Strings|11\n1|9|0|Drum Kit|Drums|16");
  EXPECT_EQ(query(db, "SELECT l.track, l.start_bar, l.bars, l.repeats, l.drum FROM loops l JOIN files f "
                      "ON f.id = l.file_id WHERE f.path LIKE '%a.mid'"),
            "1|0|1|4|1");
  const auto r = run("info --json " + (dir.path() / "m" / "c.mid").string());
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["estimated_key_tonic"], 1);
  EXPECT_EQ(j["estimated_key_mode"], "major");
  EXPECT_EQ(j["n_pitch_classes_used"], 7);
  EXPECT_EQ(j["fingerprint"].get<std::string>().size(), 32U);
  EXPECT_EQ(j["instruments"].size(), 2U);
}

TEST(Cli, ScanPrintsTheSummaryLine) {
  TempDir dir;
  make_collection(dir.path() / "c");
  const auto r = run("scan " + (dir.path() / "c").string() + " --db " + (dir.path() / "x.db").string() + " -j 2");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("files 7, ok 4, recovered 1, failed 2"), std::string::npos) << r.out;
}

TEST(Cli, InfoJsonGivesTheFacts) {
  TempDir dir;
  make_collection(dir.path() / "c");
  const auto r = run("info --json " + (dir.path() / "c" / "a.mid").string());
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["format"], 1);
  EXPECT_EQ(j["tracks"], 2);
  EXPECT_EQ(j["note_on_events"], 1);
  EXPECT_EQ(j["pitch_max"], 60);
  EXPECT_DOUBLE_EQ(j["duration_seconds"].get<double>(), 0.5);
  EXPECT_EQ(j["md5"].get<std::string>().size(), 32U);
}

TEST(Cli, InfoJsonSurvivesNonUtf8FileNames) {
  TempDir dir;
  const fs::path odd = dir.path() / "caf\xe9.mid";  // Latin-1 e-acute: not UTF-8
  write_file(odd, good_file(60));
  const auto r = run("info --json '" + odd.string() + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NE(j["path"].get<std::string>().find("caf\xef\xbf\xbd.mid"), std::string::npos) << "U+FFFD replaces the byte";
  EXPECT_EQ(j["note_on_events"], 1);
}

TEST(Cli, InfoOnABadFileNamesTheFileAndFails) {
  TempDir dir;
  make_collection(dir.path() / "c");
  const auto r = run("info " + (dir.path() / "c" / "empty.mid").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("empty.mid: empty_file: file is empty (0 bytes)"), std::string::npos) << r.out;
  const auto d = run("info " + (dir.path() / "c" / "folder.mid").string());
  EXPECT_EQ(d.status, 1);
  EXPECT_NE(d.out.find("folder.mid: not_a_file: is a directory"), std::string::npos) << d.out;
}

TEST(Cli, BadUsageExitsWith2) {
  EXPECT_EQ(run("").status, 2);
  EXPECT_EQ(run("scan").status, 2);
  EXPECT_EQ(run("scan x --alloc pool").status, 2);
  const auto help = run("scan --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--alloc"), std::string::npos);
}

}  // namespace
}  // namespace midisift::cli
