#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "midisift/db/database.hpp"
#include "temp_dir.hpp"

namespace midisift::db {
namespace {

// The first column of the first row, as text ("NULL", "<no row>").
std::string query_one(Database& db, const std::string& sql) {
  std::string out = "<no row>";
  bool first = true;
  query(db, sql, {}, [&](Row row) {
    if (first) out = row[0] ? std::string(*row[0]) : "NULL";
    first = false;
  });
  return out;
}

scan::FileResult ok_record(const std::string& path) {
  scan::FileResult r;
  r.path = path;
  r.size_bytes = 1234;
  r.mtime_ns = 42;
  r.md5 = "d41d8cd98f00b204e9800998ecf8427e";
  r.status = parse::ParseStatus::Ok;
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

// What schema version 3 added, to turn a fresh database back into version 2.
constexpr const char* kDropV3 =
    "DROP VIEW present_files; DROP VIEW byte_duplicates; DROP VIEW musical_duplicates; DROP VIEW file_overview; "
    "DROP VIEW failures; DROP VIEW repairs; DROP VIEW instrument_families; DROP INDEX files_missing;";

TEST(Database, MigratesAVersion1DatabaseKeepingItsRows) {
  test::TempDir dir;
  const auto file = dir.path() / "old.db";
  {
    // Turn a fresh database back into version 1: drop what version 2 added.
    Database db(file);
    Writer w(db);
    w.add(ok_record("kept.mid"));
    w.flush();
    db.exec(kDropV3);
    db.exec("DROP TABLE instruments; DROP TABLE loops; DROP INDEX files_fingerprint");
    const std::string v1 =
        "'id','path','size_bytes','mtime_ns','md5','status','error_code','error','riff','format','tracks','ppq',"
        "'smpte_fps','ticks_per_frame','note_on_events','channel_events','meta_events','sysex_events','end_tick',"
        "'duration_seconds','tempo_changes','initial_bpm','pitch_min','pitch_max','channels','diagnostic_count',"
        "'scanned_at'";
    std::vector<std::string> added;
    query(db, "SELECT name FROM pragma_table_info('files') WHERE name NOT IN (" + v1 + ")", {},
          [&](Row row) { added.emplace_back(*row[0]); });
    ASSERT_GT(added.size(), 40U);
    for (const auto& c : added) db.exec(("ALTER TABLE files DROP COLUMN " + c).c_str());
    db.exec("PRAGMA user_version = 1");
  }
  Database db(file);
  EXPECT_EQ(db.user_version(), kSchemaVersion);
  EXPECT_EQ(query_one(db, "SELECT path || '|' || ifnull(estimated_key_tonic, 'NULL') || '|' || note_on_events FROM files"),
            "kept.mid|NULL|10");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('instruments', 'loops', 'files_fingerprint')"),
            "3");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM present_files"), "1");
}

TEST(Database, MigratesAVersion2DatabaseAddingMissingSinceAndTheViews) {
  test::TempDir dir;
  const auto file = dir.path() / "v2.db";
  {
    Database db(file);
    Writer w(db);
    w.add(ok_record("kept.mid"));
    w.flush();
    db.exec(kDropV3);
    db.exec("ALTER TABLE files DROP COLUMN last_note_seconds; ALTER TABLE files DROP COLUMN missing_since; "
            "PRAGMA user_version = 2");
  }
  Database db(file);
  EXPECT_EQ(db.user_version(), kSchemaVersion);
  EXPECT_EQ(query_one(db, "SELECT path || '|' || ifnull(missing_since, 'NULL') FROM files"), "kept.mid|NULL");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM sqlite_master WHERE type = 'view'"), "7");
  EXPECT_EQ(query_one(db, "SELECT path FROM file_overview"), "kept.mid");
}

// The columns of `files` in order, as one line.
std::string column_list(Database& db) {
  std::string out;
  query(db, "SELECT name FROM pragma_table_info('files') ORDER BY cid", {}, [&](Row row) {
    out += std::string(*row[0]) + ' ';
  });
  return out;
}

TEST(Database, MigratesAVersion3DatabaseAddingLastNoteSecondsInTheOrderOfANewOne) {
  test::TempDir dir;
  std::string fresh_columns;
  {
    Database fresh(dir.path() / "fresh.db");
    fresh_columns = column_list(fresh);
  }
  const auto file = dir.path() / "v3.db";
  {
    Database db(file);
    Writer w(db);
    w.add(ok_record("kept.mid"));
    w.flush();
    db.exec("ALTER TABLE files DROP COLUMN last_note_seconds; PRAGMA user_version = 3");
    ASSERT_EQ(column_list(db).find("last_note_seconds"), std::string::npos);
  }
  Database db(file);
  EXPECT_EQ(db.user_version(), kSchemaVersion);
  EXPECT_EQ(column_list(db), fresh_columns) << "a migrated table has the columns of a new one, in the same order";
  EXPECT_EQ(query_one(db, "SELECT path || '|' || ifnull(last_note_seconds, 'NULL') FROM files"), "kept.mid|NULL");
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
    scan::FileResult r = ok_record("x/b.mid");
    r.status = parse::ParseStatus::Recovered;
    r.diagnostics = diags;
    w.add(r);
    scan::FileResult failed;
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
    scan::FileResult r = ok_record("a.mid");
    r.status = parse::ParseStatus::Recovered;
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

TEST(Writer, MarksMissingAndARewriteClearsIt) {
  test::TempDir dir;
  Database db(dir.path() / "a.db");
  {
    Writer w(db);
    w.add(ok_record("c/a.mid"));
    w.add(ok_record("c/b.mid"));
  }
  std::int64_t id_a = 0;
  for_each_file_under(db, "c", [&](const KnownFile& k) {
    if (k.path == "c/a.mid") id_a = k.id;
  });
  ASSERT_NE(id_a, 0);
  {
    Writer w(db);
    w.mark_missing(id_a);
    w.mark_missing("c/b.mid");
  }
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM files WHERE missing_since IS NOT NULL"), "2");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM present_files"), "0");
  const std::string first_mark = query_one(db, "SELECT missing_since FROM files WHERE path = 'c/b.mid'");
  {
    Writer w(db);
    w.mark_missing("c/b.mid");  // already missing: the first date stays
    w.add(ok_record("c/a.mid"));  // back again
  }
  EXPECT_EQ(query_one(db, "SELECT missing_since FROM files WHERE path = 'c/b.mid'"), first_mark);
  EXPECT_EQ(query_one(db, "SELECT path FROM present_files"), "c/a.mid");
}

TEST(Database, FilesUnderARootAreMatchedByFolderNotByPrefix) {
  test::TempDir dir;
  Database db(dir.path() / "a.db");
  {
    Writer w(db);
    for (const char* p : {"c", "c/a.mid", "c/sub/b.mid", "c2/x.mid", "c.mid", "b/c/a.mid", "/abs/y.mid"}) {
      w.add(ok_record(p));
    }
  }
  auto under = [&](std::string_view root) {
    std::string got;
    for_each_file_under(db, root, [&](const KnownFile& k) {
      if (!got.empty()) got += ' ';
      got += k.path;
    });
    return got;
  };
  EXPECT_EQ(under("c"), "c c/a.mid c/sub/b.mid");
  EXPECT_EQ(under("c/sub"), "c/sub/b.mid");
  EXPECT_EQ(under("c.mid"), "c.mid");
  EXPECT_EQ(under("/"), "/abs/y.mid");
  EXPECT_EQ(under("nothing"), "");
}

TEST(Database, ViewsGroupDuplicatesAndSpellKeysAndTempoBands) {
  test::TempDir dir;
  Database db(dir.path() / "a.db");
  {
    Writer w(db);
    // a and b: same bytes. c: different bytes, same notes as a (fingerprint F). d: alone.
    const char* rows[][3] = {{"a.mid", "m1", "F"}, {"b.mid", "m1", "F"}, {"c.mid", "m2", "F"}, {"d.mid", "m3", "G"}};
    for (const auto& row : rows) {
      scan::FileResult r = ok_record(row[0]);
      r.md5 = row[1];
      analyze::MusicalFacts m(std::pmr::get_default_resource());
      m.fingerprint = std::array<std::uint8_t, 16>{};
      m.notes = 5;
      r.music = m;
      w.add(r);
      std::string sql = "UPDATE files SET tempo_mean_bpm = 100, estimated_key_tonic = 10, estimated_key_mode = 'minor', ";
      sql += "fingerprint = '";
      sql += row[2];
      sql += "' WHERE path = '";
      sql += row[0];
      sql += "'";
      db.exec(sql.c_str());
    }
    w.add(ok_record("gone.mid"));
    w.mark_missing("gone.mid");
  }
  EXPECT_EQ(query_one(db, "SELECT group_concat(path || ':' || copies, ' ') FROM (SELECT * FROM byte_duplicates ORDER BY path)"),
            "a.mid:2 b.mid:2");
  EXPECT_EQ(query_one(db, "SELECT group_concat(path || ':' || copies || ':' || byte_copies, ' ') FROM "
                          "(SELECT * FROM musical_duplicates ORDER BY path)"),
            "a.mid:3:2 b.mid:3:2 c.mid:3:1");
  EXPECT_EQ(query_one(db, "SELECT estimated_key || '|' || tempo_band || '|' || time_signature FROM file_overview "
                          "WHERE path = 'a.mid'"),
            "A# minor|90-120|4/4 (assumed)");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM file_overview"), "4") << "missing files are left out";
}

TEST(Writer, ADiskFullErrorRollsBackTheBatchKeepsCommittedOnesAndStops) {
  test::TempDir dir;
  const auto file = dir.path() / "full.db";
  std::uint64_t committed = 0;
  {
    Database db(file);
    const std::string pages = query_one(db, "PRAGMA page_count");
    // SQLite answers SQLITE_FULL ("database or disk is full") past max_page_count, as on a full disk.
    db.exec(("PRAGMA max_page_count = " + std::to_string(std::stoi(pages) + 12)).c_str());
    Writer w(db, 10);
    const std::vector<parse::Diagnostic> diags(50, {parse::Recovered::ChunkPastEof, 0, 18});
    bool failed = false;
    for (int i = 0; i < 10'000 && !failed; ++i) {
      std::string path = "f";
      path += std::to_string(i);
      path += ".mid";
      scan::FileResult r = ok_record(path);
      r.status = parse::ParseStatus::Recovered;
      r.diagnostics = diags;
      try {
        w.add(r);
      } catch (const Error& e) {
        failed = true;
        const std::string what = e.what();
        EXPECT_NE(what.find("full.db"), std::string::npos) << what;
        EXPECT_NE(what.find("full"), std::string::npos) << what;
        EXPECT_NE(what.find("records committed before it are kept"), std::string::npos) << what;
      }
    }
    ASSERT_TRUE(failed);
    committed = w.committed();
    EXPECT_GT(committed, 0U);
    EXPECT_EQ(committed % 10, 0U) << "whole batches only";
    EXPECT_THROW(w.add(ok_record("after.mid")), Error);
  }
  Database db(file);
  EXPECT_EQ(query_one(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM files"), std::to_string(committed));
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM diagnostics"), std::to_string(committed * 50))
      << "no file is stored without all its diagnostics";
}

TEST(Writer, AnOldBatchIsCommittedBeforeItIsFull) {
  test::TempDir dir;
  Database db(dir.path() / "a.db");
  Database reader(dir.path() / "a.db");
  Writer w(db, 1000, std::chrono::milliseconds(0));
  w.add(ok_record("a.mid"));
  EXPECT_EQ(w.committed(), 1U);
  EXPECT_EQ(query_one(reader, "SELECT count(*) FROM files"), "1") << "visible to another connection";
  Writer slow(db, 1000, std::chrono::hours(1));
  slow.add(ok_record("b.mid"));
  EXPECT_EQ(slow.committed(), 0U);
  EXPECT_EQ(query_one(reader, "SELECT count(*) FROM files"), "1");
}

}  // namespace
}  // namespace midisift::db
