#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <memory_resource>

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

// Turns a fresh database back into schema `version` (as an older midisift left it, without an
// application_id), undoing each later version's changes, newest first.
void downgrade(Database& db, int version) {
  if (version < 8) {
    db.exec("DROP VIEW beats; ALTER TABLE files DROP COLUMN grid_offset_ticks; ALTER TABLE files DROP COLUMN "
            "beat_seconds; ALTER TABLE files DROP COLUMN downbeat_seconds");
  }
  if (version < 7) db.exec("ALTER TABLE files DROP COLUMN analysis_version");
  if (version < 6) {
    db.exec("DROP TABLE key_regions; DROP VIEW chords");
    for (const char* c : {"estimated_key_probability", "key_changes", "beat_bpm", "beat_bpm_above", "beat_bpm_below",
                          "beat_bpm_source", "nomml", "expressive", "chord_count", "chord_segments"}) {
      db.exec((std::string("ALTER TABLE files DROP COLUMN ") + c).c_str());
    }
  }
  if (version < 5) {
    db.exec("DROP VIEW file_overview; ALTER TABLE files DROP COLUMN lyrics; "
            "ALTER TABLE files RENAME COLUMN pitch_range_span TO pitch_range; PRAGMA application_id = 0");
  }
  if (version < 4) db.exec("ALTER TABLE files DROP COLUMN last_note_seconds");
  if (version < 3) {
    db.exec("DROP VIEW present_files; DROP VIEW byte_duplicates; DROP VIEW musical_duplicates; DROP VIEW failures; "
            "DROP VIEW repairs; DROP VIEW instrument_families; DROP INDEX files_missing; "
            "ALTER TABLE files DROP COLUMN missing_since");
  }
  if (version < 2) {
    db.exec("DROP TABLE instruments; DROP TABLE loops; DROP INDEX files_fingerprint");
    const std::string v1 =
        "'id','path','size_bytes','mtime_ns','md5','status','error_code','error','riff','format','tracks','ppq',"
        "'smpte_fps','ticks_per_frame','note_on_events','channel_events','meta_events','sysex_events','end_tick',"
        "'duration_seconds','tempo_changes','initial_bpm','pitch_min','pitch_max','channels','diagnostic_count',"
        "'scanned_at'";
    std::vector<std::string> added;
    query(db, "SELECT name FROM pragma_table_info('files') WHERE name NOT IN (" + v1 + ")", {},
          [&](Row row) { added.emplace_back(*row[0]); });
    ASSERT_EQ(added.size(), 44U);  // the columns of schema 2 (3 to 6 dropped their own above)
    for (const auto& c : added) db.exec(("ALTER TABLE files DROP COLUMN " + c).c_str());
  }
  db.exec(("PRAGMA user_version = " + std::to_string(version)).c_str());
}

// The columns of `files` in order, as one line.
std::string column_list(Database& db) {
  std::string out;
  query(db, "SELECT name FROM pragma_table_info('files') ORDER BY cid", {}, [&](Row row) {
    out += std::string(*row[0]) + ' ';
  });
  return out;
}

// A database of schema `version` holding one row, "kept.mid", and the columns of a new database.
std::string old_database(const std::filesystem::path& file, int version) {
  std::string fresh_columns;
  Database db(file);
  fresh_columns = column_list(db);
  Writer w(db);
  w.add(ok_record("kept.mid"));
  w.flush();
  downgrade(db, version);
  return fresh_columns;
}

TEST(Database, MigratesEveryOlderVersionKeepingItsRowsWithTheColumnsOfANewOne) {
  for (int version = 1; version < kSchemaVersion; ++version) {
    SCOPED_TRACE("schema version " + std::to_string(version));
    test::TempDir dir;
    const auto file = dir.path() / "old.db";
    const std::string fresh_columns = old_database(file, version);
    Database db(file);
    EXPECT_EQ(db.user_version(), kSchemaVersion);
    EXPECT_EQ(column_list(db), fresh_columns) << "a migrated table has the columns of a new one, in the same order";
    EXPECT_EQ(query_one(db, "SELECT application_id FROM pragma_application_id"), std::to_string(kApplicationId));
    EXPECT_EQ(query_one(db, "SELECT path || '|' || note_on_events || '|' || ifnull(last_note_seconds, 'NULL') FROM "
                            "files"),
              "kept.mid|10|NULL");
    EXPECT_EQ(query_one(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('instruments', 'loops', "
                            "'files_fingerprint', 'key_regions')"),
              "4");
    EXPECT_EQ(query_one(db, "SELECT count(*) FROM sqlite_master WHERE type = 'view'"), "9");  // `beats` from 8
    EXPECT_EQ(query_one(db, "SELECT count(*) FROM beats"), "0");
    EXPECT_EQ(query_one(db, "SELECT count(*) FROM chords"), "0");
    EXPECT_EQ(query_one(db, "SELECT path FROM file_overview"), "kept.mid");
  }
}

TEST(Database, RenamesMuspyPitchRangeKeepingItsValues) {
  test::TempDir dir;
  const auto file = dir.path() / "v4.db";
  {
    Database db(file);
    db.exec("INSERT INTO files (path, size_bytes, status, pitch_range_span) VALUES ('a.mid', 1, 'ok', 12)");
    downgrade(db, 4);
    ASSERT_EQ(query_one(db, "SELECT pitch_range FROM files"), "12");
  }
  Database db(file);
  EXPECT_EQ(query_one(db, "SELECT pitch_range_span FROM files"), "12");
}

// Runs `sql` on `file` through SQLite alone, as another program would; the first column of the
// last row, as text.
std::string other_program(const std::filesystem::path& file, const char* sql) {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  std::string out;
  sqlite3_exec(
      raw, sql,
      [](void* o, int, char** values, char**) {
        *static_cast<std::string*>(o) = values[0] != nullptr ? values[0] : "NULL";
        return 0;
      },
      &out, nullptr);
  sqlite3_close(raw);
  return out;
}

TEST(Database, RefusesAnotherProgramsDatabaseAndReadsNeverCreateOrChangeOne) {
  test::TempDir dir;
  const auto foreign = dir.path() / "other.db";
  other_program(foreign, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada')");
  for (const auto mode : {Database::Mode::Write, Database::Mode::Read}) {
    try {
      Database db(foreign, mode);
      FAIL() << "opened another program's database";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is not a midisift database"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(other_program(foreign, "SELECT group_concat(name) FROM sqlite_master"), "contacts") << "left as it was";
  EXPECT_EQ(other_program(foreign, "PRAGMA journal_mode"), "delete") << "not even switched to WAL";

  // Read mode never creates a database, nor migrates one.
  EXPECT_THROW(Database(dir.path() / "absent.db", Database::Mode::Read), Error);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "absent.db"));
  const auto old = dir.path() / "v4.db";
  (void)old_database(old, 4);
  try {
    Database db(old, Database::Mode::Read);
    FAIL() << "read an old schema";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("older than this midisift's"), std::string::npos) << e.what();
  }
  EXPECT_EQ(other_program(old, "PRAGMA user_version"), "4");
  // An empty file (as `touch` leaves it) is no midisift database to read, but one to create.
  { std::ofstream(dir.path() / "empty.db"); }
  EXPECT_THROW(Database(dir.path() / "empty.db", Database::Mode::Read), Error);
  Database created(dir.path() / "empty.db");
  EXPECT_EQ(created.user_version(), kSchemaVersion);
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

TEST(Writer, KeyRegionsAreRowsAndChordsAreReadThroughTheirView) {
  test::TempDir dir;
  Database db(dir.path() / "a.db");
  std::pmr::monotonic_buffer_resource mr;
  scan::FileResult r = ok_record("x/a.mid");
  r.music.emplace(&mr);
  r.music->key_regions.push_back({0, 0, 0.0, analyze::Key{0, analyze::Mode::Major}, 0.9});
  r.music->key_regions.push_back({8, 15360, 16.0, analyze::Key{9, analyze::Mode::Minor}, 0.7});
  r.music->key_changes = 1;
  r.music->chords.push_back({0, 0.0, analyze::Chord{10, analyze::ChordQuality::Major7, 10}});
  r.music->chords.push_back({480, 0.5, analyze::Chord{5, analyze::ChordQuality::Major, 9}});
  r.music->chords.push_back({960, 1.0, std::nullopt});
  {
    Writer w(db, 1);
    w.add(r);
  }
  EXPECT_EQ(query_one(db, "SELECT group_concat(start_bar || ' ' || key || ' ' || tonic || ' ' || mode, ', ') FROM "
                          "key_regions"),
            "0 C major 0 major, 8 A minor 9 minor");
  EXPECT_EQ(query_one(db, "SELECT key_changes || ' ' || chord_count FROM files"), "1 3");
  EXPECT_EQ(query_one(db, "SELECT group_concat(start_tick || ' ' || start_seconds || ' ' || label || ' ' || "
                          "ifnull(root, '-') || ' ' || ifnull(quality, '-') || ' ' || ifnull(bass, '-'), ', ') "
                          "FROM chords"),
            "0 0.0 Bb:maj7 10 maj7 10, 480 0.5 F:maj/3 5 maj 9, 960 1.0 N - - -");
  {
    Writer w(db, 1);
    w.add(ok_record("x/a.mid"));  // the file again, now without music: its regions go with the old row
  }
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM key_regions"), "0");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM chords"), "0");
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
            "Bb minor|90-120|4/4 (assumed)");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM file_overview"), "4") << "missing files are left out";
  // A failed file has no meter (issue 32: it was counted as "4/4 (assumed)").
  db.exec("INSERT INTO files (path, size_bytes, status) VALUES ('broken.mid', 3, 'failed')");
  EXPECT_EQ(query_one(db, "SELECT ifnull(time_signature, 'NULL') FROM file_overview WHERE path = 'broken.mid'"), "NULL");
}

TEST(Database, TheOverviewSpellsEachOfThe24KeysAsTheAnalysisDoes) {
  test::TempDir dir;
  Database db(dir.path() / "a.db");
  for (int tonic = 0; tonic < 12; ++tonic) {
    for (const auto mode : {analyze::Mode::Major, analyze::Mode::Minor}) {
      db.exec(("INSERT INTO files (path, size_bytes, status, estimated_key_tonic, estimated_key_mode) VALUES ('" +
               std::to_string(tonic) + std::string(analyze::to_string(mode)) + "', 1, 'ok', " + std::to_string(tonic) +
               ", '" + std::string(analyze::to_string(mode)) + "')")
                  .c_str());
      const auto key = analyze::key_name(analyze::Key{static_cast<std::uint8_t>(tonic), mode});
      EXPECT_EQ(query_one(db, "SELECT estimated_key FROM file_overview WHERE path = '" + std::to_string(tonic) +
                                  std::string(analyze::to_string(mode)) + "'"),
                key);
    }
  }
  EXPECT_EQ(query_one(db, "SELECT group_concat(estimated_key, ', ') FROM (SELECT estimated_key FROM file_overview "
                          "WHERE path IN ('3major', '10minor', '6major', '1minor', '8major') ORDER BY file_id)"),
            "C# minor, Eb major, F# major, Ab major, Bb minor");
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
