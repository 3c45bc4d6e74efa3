#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "midisift/db/database.hpp"
#include "temp_dir.hpp"

namespace midisift::db {
namespace {

std::string query_one(Database& db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  std::string out = "<no row>";
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(stmt, 0);
    out = text ? reinterpret_cast<const char*>(text) : "NULL";
  }
  sqlite3_finalize(stmt);
  return out;
}

FileRecord ok_record(const std::string& path) {
  FileRecord r;
  r.path = path;
  r.size_bytes = 1234;
  r.mtime_ns = 42;
  r.md5 = "d41d8cd98f00b204e9800998ecf8427e";
  r.status = FileStatus::Ok;
  analyze::FileFacts f;
  f.format = 1;
  f.tracks = 3;
  f.ppq = 480;
  f.note_on_events = 10;
  f.channel_events = 20;
  f.meta_events = 4;
  f.end_tick = 1920;
  f.duration_seconds = 2.0;
  f.initial_bpm = 120.0;
  f.pitch_min = 40;
  f.pitch_max = 80;
  f.channel_mask = (1U << 0) | (1U << 9);
  r.facts = f;
  return r;
}

TEST(Database, CreatesSchemaWithUserVersion) {
  test::TempDir dir;
  Database db(dir.path() / "a.db");
  EXPECT_EQ(db.user_version(), kSchemaVersion);
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM pragma_table_info('files') WHERE name IN ('path','size_bytes','md5',"
                          "'status','error','format','tracks','ppq','note_on_events','channel_events','meta_events',"
                          "'sysex_events','end_tick','duration_seconds','tempo_changes','initial_bpm','pitch_min',"
                          "'pitch_max','channels')"),
            "19");
}

TEST(Database, MigratesAVersion1DatabaseKeepingItsRows) {
  test::TempDir dir;
  const auto file = dir.path() / "old.db";
  {
    // Turn a fresh database back into version 1: drop what version 2 added.
    Database db(file);
    Writer w(db);
    w.add(ok_record("kept.mid"));
    w.flush();
    db.exec("DROP TABLE instruments; DROP TABLE loops; DROP INDEX files_fingerprint");
    const std::string v1 =
        "'id','path','size_bytes','mtime_ns','md5','status','error_code','error','riff','format','tracks','ppq',"
        "'smpte_fps','ticks_per_frame','note_on_events','channel_events','meta_events','sysex_events','end_tick',"
        "'duration_seconds','tempo_changes','initial_bpm','pitch_min','pitch_max','channels','diagnostic_count',"
        "'scanned_at'";
    std::vector<std::string> added;
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db.handle(),
                                 ("SELECT name FROM pragma_table_info('files') WHERE name NOT IN (" + v1 + ")").c_str(),
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) added.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    ASSERT_GT(added.size(), 40U);
    for (const auto& c : added) db.exec(("ALTER TABLE files DROP COLUMN " + c).c_str());
    db.exec("PRAGMA user_version = 1");
  }
  Database db(file);
  EXPECT_EQ(db.user_version(), 2);
  EXPECT_EQ(query_one(db, "SELECT path || '|' || ifnull(estimated_key_tonic, 'NULL') || '|' || note_on_events FROM files"),
            "kept.mid|NULL|10");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('instruments', 'loops', 'files_fingerprint')"),
            "3");
}

TEST(Database, RefusesADatabaseFromANewerVersion) {
  test::TempDir dir;
  { Database db(dir.path() / "a.db"); db.exec("PRAGMA user_version = 999"); }
  try {
    Database again(dir.path() / "a.db");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST(Database, OpeningInAMissingFolderNamesTheFile) {
  test::TempDir dir;
  try {
    Database db(dir.path() / "no" / "such" / "a.db");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a.db"), std::string::npos) << e.what();
  }
}

TEST(Writer, WritesFactsAndDiagnostics) {
  test::TempDir dir;
  Database db(dir.path() / "a.db");
  const std::vector<parse::Diagnostic> diags = {{parse::Recovered::ChunkPastEof, 0, 18},
                                                {parse::Recovered::TrackCountMismatch, parse::kFileLevel, 10}};
  {
    Writer w(db, 2);
    w.add(ok_record("x/a.mid"));
    FileRecord r = ok_record("x/b.mid");
    r.status = FileStatus::Recovered;
    r.diagnostics = diags;
    w.add(r);
    FileRecord failed;
    failed.path = "x/c.mid";
    failed.error_code = "not_midi";
    failed.error = "no MThd chunk";
    w.add(failed);
  }
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM files"), "3");
  EXPECT_EQ(query_one(db, "SELECT channels FROM files WHERE path='x/a.mid'"), "[0,9]");
  EXPECT_EQ(query_one(db, "SELECT duration_seconds FROM files WHERE path='x/a.mid'"), "2.0");
  EXPECT_EQ(query_one(db, "SELECT group_concat(code || ':' || ifnull(track, '-') || ':' || offset, ' ') FROM "
                          "diagnostics JOIN files ON files.id = file_id WHERE path='x/b.mid'"),
            "chunk_past_eof:0:18 track_count_mismatch:-:10");
  EXPECT_EQ(query_one(db, "SELECT status || ' ' || error_code || ' ' || ifnull(format, 'NULL') FROM files WHERE "
                          "path='x/c.mid'"),
            "failed not_midi NULL");
  const auto counts = count_status(db);
  EXPECT_EQ(counts.files, 3U);
  EXPECT_EQ(counts.ok, 1U);
  EXPECT_EQ(counts.recovered, 1U);
  EXPECT_EQ(counts.failed, 1U);
}

TEST(Writer, ASecondRecordForAPathReplacesTheFirstAndItsDiagnostics) {
  test::TempDir dir;
  Database db(dir.path() / "a.db");
  const std::vector<parse::Diagnostic> diags = {{parse::Recovered::MissingEndOfTrack, 0, 30}};
  {
    Writer w(db);
    FileRecord r = ok_record("a.mid");
    r.status = FileStatus::Recovered;
    r.diagnostics = diags;
    w.add(r);
  }
  {
    Writer w(db);
    w.add(ok_record("a.mid"));
  }
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM files"), "1");
  EXPECT_EQ(query_one(db, "SELECT status FROM files"), "ok");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM diagnostics"), "0");
}

}  // namespace
}  // namespace midisift::db
