// What a user of the real `midisift` sees: exit codes, messages, numbering, safe defaults with
// databases, the JSON views, and the SQL examples of the documentation.
#include <gtest/gtest.h>
#include <sqlite3.h>


#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "collection.hpp"
#include "midisift/clip/host_file_system.hpp"
#include "midisift/clip/library.hpp"
#include "midisift/db/database.hpp"
#include "run_binary.hpp"
#include "temp_dir.hpp"

namespace midisift::cli {
namespace {

namespace fs = std::filesystem;
using test::Run;
using test::SongTrack;
using test::TempDir;

Run run(const std::string& args) { return test::run_midisift(args); }

using test::quoted;

bool has(const Run& r, const std::string& text) { return r.out.find(text) != std::string::npos; }

// Another program's SQLite database: one table of its own.
void foreign_database(const fs::path& file) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada')", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
}

TEST(Usage, BadUsageAlwaysExitsWith2) {
  TempDir dir;
  test::write_file(dir.path() / "a.mid", test::numbered_song(1, 40));
  const std::string file = quoted(dir.path() / "a.mid");
  const std::string card = " --out " + quoted(dir.path() / "card");
  for (const char* bars : {"8-5", "abc", "0-3", "3-", "2-4x"}) {
    std::string args = "clips export ";
    args += file;
    args += " --track 0 --bars ";
    args += bars;
    args += card;
    const auto r = run(args);
    EXPECT_EQ(r.status, 2) << "--bars " << bars << ": " << r.out;
    EXPECT_TRUE(has(r, "--bars")) << r.out;
  }
  EXPECT_FALSE(fs::exists(dir.path() / "card")) << "nothing written on bad usage";
  const auto bare = run("");
  EXPECT_EQ(bare.status, 2);
  EXPECT_TRUE(has(bare, "Subcommands:") && has(bare, "scan")) << "a bare midisift prints the help: " << bare.out;
  EXPECT_EQ(run("scan").status, 2);
  EXPECT_EQ(run("stats --top x").status, 2);
}

TEST(Usage, AMisspeltSubcommandNamesTheWordAndTheNearestSubcommand) {
  auto r = run("scna corpus/");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r, "unknown subcommand 'scna'; did you mean 'scan'?")) << r.out;
  r = run("stat --db x.db");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r, "did you mean 'stats'?")) << r.out;
  r = run("clips lss card/");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r, "unknown clips subcommand 'lss'; did you mean 'ls'?")) << r.out;
  r = run("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r, "unknown subcommand 'frobnicate'; `midisift --help` lists them")) << r.out;
}

TEST(Usage, RangesPrintAsPeopleWriteThem) {
  auto r = run("stats --top 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r, "must be a whole number, at least 1 (got '0')")) << r.out;
  EXPECT_FALSE(has(r, "e+308")) << r.out;
  r = run("scan x --progress-interval 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r, "must be a number of seconds greater than 0 (got '0')")) << r.out;
  EXPECT_FALSE(has(r, "e-324")) << r.out;
}

TEST(Usage, InfoSaysNoSuchFileAndReadsStandardInput) {
  TempDir dir;
  auto r = run("info " + quoted(dir.path() / "absent.mid"));
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r, "absent.mid: no such file")) << r.out;
  EXPECT_FALSE(has(r, "vanished")) << r.out;
  test::write_file(dir.path() / "a.mid", test::numbered_song(3, 40));
  r = run("info --json - < " + quoted(dir.path() / "a.mid"));
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["path"], "-");
  EXPECT_EQ(j["notes"], 80);
  EXPECT_EQ(j["md5"], nlohmann::json::parse(run("info --json " + quoted(dir.path() / "a.mid")).out)["md5"]);
}

TEST(Usage, InfoShowsWhatAMusicianLooksFor) {
  TempDir dir;
  // Violin on channel 1 and drums on channel 10, a drum bar played four times, 100 BPM.
  SongTrack violin;
  violin.events = {{0, test::tempo_meta(600000)}, {0, {0xC0, 40}}};
  for (std::uint8_t i = 0; i < 16; ++i) violin.notes.push_back({i * 96U, i * 96U + 90, static_cast<std::uint8_t>(57 + i)});
  SongTrack drums;
  for (std::uint32_t bar = 0; bar < 4; ++bar) {
    for (std::uint32_t beat = 0; beat < 4; ++beat) {
      drums.notes.push_back({bar * 384 + beat * 96, bar * 384 + beat * 96 + 48, 36, 9});
    }
  }
  test::write_file(dir.path() / "a.mid", test::song(96, {violin, drums}));
  const auto r = run("info " + quoted(dir.path() / "a.mid"));
  ASSERT_EQ(r.status, 0) << r.out;
  for (const char* line : {"  channels:", "1, 10\n", "  pitch_min:", "C2 (36)\n", "  pitch_max:", "C5 (72)\n",
                           "  tempo_min_bpm:", "  tempo_mean_bpm:", "  tempo_max_bpm:", "  last_note_seconds:",
                           "  estimated_key:", "; runner-up ", "  instrument: Violin (Strings), track 0, channel 1,",
                           "  instrument: Drum Kit (Drums), track 1, channel 10,", "  loop: track 1, 1 bar from bar 1, x4"}) {
    EXPECT_TRUE(has(r, line)) << "'" << line << "' in\n" << r.out;
  }
  EXPECT_FALSE(has(r, "channel 0,")) << "channels are numbered 1-16 for people";
}

TEST(Usage, ReadCommandsNeverCreateOrChangeADatabaseAndScanRefusesAnotherPrograms) {
  TempDir dir;
  const auto other = dir.path() / "other.db";
  foreign_database(other);
  std::string scan_into = "scan ";  // built with += : GCC 12 warns falsely on chained operator+
  scan_into += quoted(dir.path());
  scan_into += " --db ";
  for (const std::string& cmd : std::vector<std::string>{"stats --db ", "dupes --db ", scan_into}) {
    const auto r = run(cmd + quoted(other));
    EXPECT_EQ(r.status, 1) << cmd << r.out;
    EXPECT_TRUE(has(r, "is not a midisift database")) << r.out;
  }
  EXPECT_TRUE(has(run("scan " + quoted(dir.path()) + " --db " + quoted(other)), "fix the cause (choose another --db)"));
  EXPECT_EQ(test::query(other, "SELECT group_concat(name) FROM sqlite_master"), "contacts") << "left as it was";
  EXPECT_EQ(run("stats --db " + quoted(dir.path() / "none.db")).status, 1);
  EXPECT_FALSE(fs::exists(dir.path() / "none.db")) << "stats never creates a database";
  const auto r = run("scan " + quoted(dir.path()) + " --db " + quoted(dir.path()));
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r, "is a directory")) << r.out;
  EXPECT_TRUE(has(r, "fix the cause (--db names a folder")) << r.out;
}

TEST(Usage, TwoScansCreatingTheSameDatabaseAtOnceBothSucceed) {
  TempDir dir;
  test::make_songs(dir.path() / "c", 40, 20);
  for (int round = 0; round < 20; ++round) {
    const auto db = dir.path() / ("x" + std::to_string(round) + ".db");
    const std::string scan = std::string(MIDISIFT_BINARY) + " scan " + quoted(dir.path() / "c") + " --db " +
                             quoted(db) + " -q";
    std::string both = "(";
    both += scan;
    both += R"(; echo "first $?") & ()";
    both += scan;
    both += R"(; echo "second $?") & wait)";
    const auto r = test::run_shell(both);
    EXPECT_TRUE(r.find("first 0") != std::string::npos && r.find("second 0") != std::string::npos) << r;
    EXPECT_EQ(test::query(db, "SELECT count(*) FROM files"), "40");
  }
}

TEST(Usage, StatsAndDupesSpeakJson) {
  TempDir dir;
  const auto c = dir.path() / "c";
  test::write_file(c / "a.mid", test::numbered_song(1, 40));
  test::write_file(c / "copy.mid", test::numbered_song(1, 40));
  test::write_file(c / "bad.mid", {'n', 'o'});
  const auto db = dir.path() / "x.db";
  ASSERT_EQ(run("scan " + quoted(c) + " --db " + quoted(db) + " -q").status, 0);
  const auto r = run("stats --json --db " + quoted(db));
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["files"], 3);
  EXPECT_EQ(j["duplicates"]["byte_groups"], 1);
  EXPECT_EQ(j["status"][0], (nlohmann::json{{"value", "ok"}, {"files", 2}}));
  EXPECT_EQ(j["failures"][0], (nlohmann::json{{"value", "not_midi"}, {"files", 1}}));
  EXPECT_GT(j["music_hours"].get<double>(), 0);
  const auto d = run("dupes --json --db " + quoted(db));
  ASSERT_EQ(d.status, 0) << d.out;
  EXPECT_EQ(nlohmann::json::parse(d.out)["files"].size(), 2U);
}

TEST(Usage, ClipNamesStayUniqueAndTheSummaryCountsWhatWasWritten) {
  TempDir dir;
  // Two drum tracks of a file with a long name, each a one-bar pattern played eight times: loop
  // candidates whose names would be cut before their track and bar.
  std::vector<SongTrack> tracks(2);
  for (std::uint8_t t = 0; t < 2; ++t) {
    for (std::uint32_t bar = 0; bar < 8; ++bar) {
      for (std::uint32_t beat = 0; beat < 4; ++beat) {
        tracks[t].notes.push_back({bar * 384 + beat * 96 + t * 24, bar * 384 + beat * 96 + t * 24 + 12,
                                   static_cast<std::uint8_t>(36 + t), 9});
      }
    }
  }
  const auto songs = dir.path() / "songs";
  test::write_file(songs / "a_rather_long_file_name_for_a_groove.mid", test::song(96, tracks));
  const auto db = dir.path() / "x.db";
  ASSERT_EQ(run("scan " + quoted(songs) + " --db " + quoted(db) + " -q").status, 0);
  const auto candidates = std::stoul(test::query(db, "SELECT count(*) FROM loops"));
  ASSERT_GE(candidates, 2U);
  const auto card = dir.path() / "card";
  const auto r = run("clips export --db " + quoted(db) + " --out " + quoted(card));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has(r, std::to_string(candidates) + " clips written, 0 already on the card, from " +
                         std::to_string(candidates) + " loop candidates")) << r.out;
  const auto ls = run("clips ls --json " + quoted(card));
  ASSERT_EQ(ls.status, 0) << ls.out;
  std::set<std::string> names, files;
  std::istringstream lines(ls.out);
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    names.insert(j["name"]);
    files.insert(j["file"]);
  }
  EXPECT_EQ(names.size(), candidates) << ls.out;
  EXPECT_EQ(files.size(), candidates) << ls.out;
  for (const auto& n : names) {
    const auto t = n.rfind(" t");
    EXPECT_TRUE(t != std::string::npos && n.compare(t, 4, n[t + 2] == '0' ? " t0 " : " t1 ") == 0 &&
                n.compare(t + 4, 1, "b") == 0)
        << "the track and bar survive: " << n;
  }
  // Bars count from 1 in --where as everywhere a person types them.
  const auto first = run("clips export --db " + quoted(db) + " --where \"start_bar = 1 AND bars = 1 AND track = 0\""
                         " --out " + quoted(dir.path() / "card2"));
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_TRUE(has(first, "track 0 bars 1-1")) << first.out;
  EXPECT_EQ(run("clips export --db " + quoted(db) + " --where \"start_bar = 0\" --out " + quoted(dir.path() / "c3"))
                .status,
            1)
      << "no bar 0";
}

// Every SQL example of db/SCHEMA.md (```sql blocks) and of the README (`sqlite3 DB "..."`) runs
// against a scanned database.
std::vector<std::string> sql_examples() {
  std::vector<std::string> out;
  const fs::path source = MIDISIFT_SOURCE_DIR;
  std::ifstream schema(source / "db" / "SCHEMA.md");
  bool in_sql = false;
  std::string statement;
  for (std::string line; std::getline(schema, line);) {
    if (line.starts_with("```")) {
      in_sql = line == "```sql";
      continue;
    }
    if (!in_sql || line.starts_with("--") || line.empty()) continue;
    statement += line + '\n';
    if (line.ends_with(";")) {
      out.push_back(statement);
      statement.clear();
    }
  }
  std::ifstream readme(source / "README.md");
  for (std::string line; std::getline(readme, line);) {
    const auto at = line.find("sqlite3 ");
    if (at == std::string::npos) continue;
    const auto open = line.find('"', at);
    const auto close = open == std::string::npos ? open : line.find('"', open + 1);
    if (close != std::string::npos) out.push_back(line.substr(open + 1, close - open - 1));
  }
  return out;
}

TEST(Usage, EverySqlExampleOfTheDocumentationRuns) {
  TempDir dir;
  test::make_songs(dir.path() / "c", 20, 40);
  const auto db = dir.path() / "x.db";
  ASSERT_EQ(run("scan " + quoted(dir.path() / "c") + " --db " + quoted(db) + " -q").status, 0);
  const auto examples = sql_examples();
  ASSERT_GE(examples.size(), 12U);
  db::Database database(db, db::Database::Mode::Read);
  for (const auto& sql : examples) {
    try {
      db::query(database, sql, {}, [](db::Row) {});
    } catch (const db::Error& e) {
      ADD_FAILURE() << e.what() << "\nin the example\n" << sql;
    }
  }
}

}  // namespace
}  // namespace midisift::cli
