#include "midisift/db/database.hpp"

#include <sqlite3.h>

#include <string>
#include <utility>

namespace midisift::db {

namespace {

// Schema version 1. Column names follow the facts in libanalyze (see db/SCHEMA.md).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE files (
  id                INTEGER PRIMARY KEY,
  path              TEXT    NOT NULL UNIQUE,
  size_bytes        INTEGER NOT NULL,
  mtime_ns          INTEGER,
  md5               TEXT,
  status            TEXT    NOT NULL CHECK (status IN ('ok', 'recovered', 'failed')),
  error_code        TEXT,
  error             TEXT,
  riff              INTEGER NOT NULL DEFAULT 0,
  format            INTEGER,
  tracks            INTEGER,
  ppq               INTEGER,
  smpte_fps         INTEGER,
  ticks_per_frame   INTEGER,
  note_on_events    INTEGER,
  channel_events    INTEGER,
  meta_events       INTEGER,
  sysex_events      INTEGER,
  end_tick          INTEGER,
  duration_seconds  REAL,
  tempo_changes     INTEGER,
  initial_bpm       REAL,
  pitch_min         INTEGER,
  pitch_max         INTEGER,
  channels          TEXT,
  diagnostic_count  INTEGER NOT NULL DEFAULT 0,
  scanned_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX files_md5 ON files (md5);
CREATE INDEX files_status ON files (status);
CREATE INDEX files_error_code ON files (error_code);
CREATE TABLE diagnostics (
  file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  code    TEXT    NOT NULL,
  track   INTEGER,
  offset  INTEGER NOT NULL
);
CREATE INDEX diagnostics_file ON diagnostics (file_id);
CREATE INDEX diagnostics_code ON diagnostics (code);
)sql";

std::string channels_json(std::uint16_t mask) {
  std::string s = "[";
  for (int c = 0; c < 16; ++c) {
    if ((mask & (1U << c)) == 0) continue;
    if (s.size() > 1) s += ',';
    s += std::to_string(c);
  }
  s += ']';
  return s;
}

}  // namespace

std::string_view to_string(FileStatus s) noexcept {
  switch (s) {
    case FileStatus::Ok: return "ok";
    case FileStatus::Recovered: return "recovered";
    case FileStatus::Failed: return "failed";
  }
  return "failed";
}

Database::Database(const std::filesystem::path& file) : path_(file) {
  const int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error("cannot open database " + file.string() + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    // WAL: readers can query while a scan writes; NORMAL sync is durable at each checkpoint and
    // never corrupts on power loss (SQLite docs, "Write-Ahead Logging").
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
    exec("PRAGMA foreign_keys = ON");
    migrate();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Database::Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

void Database::fail(std::string_view what) const {
  throw Error(std::string(what) + " (database " + path_.string() + "): " + sqlite3_errmsg(db_));
}

void Database::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error("SQLite error in database " + path_.string() + ": " + msg);
  }
}

int Database::user_version() {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK) fail("reading user_version");
  int v = 0;
  if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  return v;
}

void Database::migrate() {
  const int version = user_version();
  if (version > kSchemaVersion) {
    throw Error("database " + path_.string() + " has schema version " + std::to_string(version) +
                ", newer than this midisift understands (" + std::to_string(kSchemaVersion) + ")");
  }
  if (version == kSchemaVersion) return;
  exec("BEGIN IMMEDIATE");
  try {
    if (version < 1) exec(kSchemaV1);
    exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

Writer::Writer(Database& db, std::size_t batch_size) : db_(db), batch_size_(batch_size == 0 ? 1 : batch_size) {
  prepare(&delete_, "DELETE FROM files WHERE path = ?1");
  prepare(&insert_file_,
          "INSERT INTO files (path, size_bytes, mtime_ns, md5, status, error, riff, format, tracks, ppq, "
          "smpte_fps, ticks_per_frame, note_on_events, channel_events, meta_events, sysex_events, end_tick, "
          "duration_seconds, tempo_changes, initial_bpm, pitch_min, pitch_max, channels, diagnostic_count, error_code) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
          "?21, ?22, ?23, ?24, ?25)");
  prepare(&insert_diag_, "INSERT INTO diagnostics (file_id, code, track, offset) VALUES (?1, ?2, ?3, ?4)");
}

Writer::~Writer() {
  try {
    flush();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; flush() reports
  }
  sqlite3_finalize(delete_);
  sqlite3_finalize(insert_file_);
  sqlite3_finalize(insert_diag_);
}

void Writer::prepare(sqlite3_stmt** stmt, const char* sql) {
  if (sqlite3_prepare_v3(db_.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
    throw Error(std::string("cannot prepare statement (database ") + db_.path().string() +
                "): " + sqlite3_errmsg(db_.handle()));
  }
}

void Writer::add(const FileRecord& r) {
  sqlite3* h = db_.handle();
  auto check = [&](int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
      throw Error(std::string(what) + " for " + r.path + " (database " + db_.path().string() +
                  "): " + sqlite3_errmsg(h));
    }
  };
  if (pending_ == 0) db_.exec("BEGIN");

  sqlite3_bind_text(delete_, 1, r.path.data(), static_cast<int>(r.path.size()), SQLITE_STATIC);
  check(sqlite3_step(delete_), "deleting the previous row");
  sqlite3_reset(delete_);

  sqlite3_stmt* s = insert_file_;
  auto bind_i64 = [&](int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); };
  auto bind_u64 = [&](int i, std::uint64_t v) { sqlite3_bind_int64(s, i, static_cast<std::int64_t>(v)); };
  sqlite3_bind_text(s, 1, r.path.data(), static_cast<int>(r.path.size()), SQLITE_STATIC);
  bind_u64(2, r.size_bytes);
  if (r.mtime_ns) bind_i64(3, *r.mtime_ns); else sqlite3_bind_null(s, 3);
  if (!r.md5.empty()) sqlite3_bind_text(s, 4, r.md5.data(), static_cast<int>(r.md5.size()), SQLITE_STATIC);
  else sqlite3_bind_null(s, 4);
  const auto status = to_string(r.status);
  sqlite3_bind_text(s, 5, status.data(), static_cast<int>(status.size()), SQLITE_STATIC);
  if (!r.error.empty()) sqlite3_bind_text(s, 6, r.error.data(), static_cast<int>(r.error.size()), SQLITE_STATIC);
  else sqlite3_bind_null(s, 6);
  bind_i64(7, r.riff ? 1 : 0);
  std::string channels;
  if (r.facts) {
    const auto& f = *r.facts;
    bind_i64(8, f.format);
    bind_i64(9, f.tracks);
    if (f.smpte_fps == 0) bind_i64(10, f.ppq); else sqlite3_bind_null(s, 10);
    if (f.smpte_fps != 0) bind_i64(11, f.smpte_fps); else sqlite3_bind_null(s, 11);
    if (f.smpte_fps != 0) bind_i64(12, f.ticks_per_frame); else sqlite3_bind_null(s, 12);
    bind_u64(13, f.note_on_events);
    bind_u64(14, f.channel_events);
    bind_u64(15, f.meta_events);
    bind_u64(16, f.sysex_events);
    bind_i64(17, f.end_tick);
    if (f.duration_seconds) sqlite3_bind_double(s, 18, *f.duration_seconds); else sqlite3_bind_null(s, 18);
    bind_i64(19, f.tempo_changes);
    if (f.initial_bpm) sqlite3_bind_double(s, 20, *f.initial_bpm); else sqlite3_bind_null(s, 20);
    if (f.pitch_min) bind_i64(21, *f.pitch_min); else sqlite3_bind_null(s, 21);
    if (f.pitch_max) bind_i64(22, *f.pitch_max); else sqlite3_bind_null(s, 22);
    channels = channels_json(f.channel_mask);
    sqlite3_bind_text(s, 23, channels.data(), static_cast<int>(channels.size()), SQLITE_STATIC);
  } else {
    for (int i = 8; i <= 23; ++i) sqlite3_bind_null(s, i);
  }
  bind_u64(24, r.diagnostics.size());
  if (!r.error_code.empty()) sqlite3_bind_text(s, 25, r.error_code.data(), static_cast<int>(r.error_code.size()), SQLITE_STATIC);
  else sqlite3_bind_null(s, 25);
  check(sqlite3_step(s), "inserting the file row");
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  const sqlite3_int64 file_id = sqlite3_last_insert_rowid(h);

  for (const auto& d : r.diagnostics) {
    const auto code = parse::to_string(d.code);
    sqlite3_bind_int64(insert_diag_, 1, file_id);
    sqlite3_bind_text(insert_diag_, 2, code.data(), static_cast<int>(code.size()), SQLITE_STATIC);
    if (d.track == parse::kFileLevel) sqlite3_bind_null(insert_diag_, 3);
    else sqlite3_bind_int64(insert_diag_, 3, d.track);
    sqlite3_bind_int64(insert_diag_, 4, d.offset);
    check(sqlite3_step(insert_diag_), "inserting a diagnostic");
    sqlite3_reset(insert_diag_);
  }
  ++written_;
  if (++pending_ >= batch_size_) flush();
}

void Writer::flush() {
  if (pending_ == 0) return;
  pending_ = 0;
  db_.exec("COMMIT");
}

StatusCounts count_status(Database& db) {
  StatusCounts c;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.handle(), "SELECT status, count(*) FROM files GROUP BY status", -1, &stmt, nullptr) !=
      SQLITE_OK) {
    throw Error(std::string("cannot count files (database ") + db.path().string() + "): " + sqlite3_errmsg(db.handle()));
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const std::string_view status(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    const auto n = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 1));
    c.files += n;
    if (status == "ok") c.ok = n;
    else if (status == "recovered") c.recovered = n;
    else c.failed = n;
  }
  sqlite3_finalize(stmt);
  return c;
}

}  // namespace midisift::db
