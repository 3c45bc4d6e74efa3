#include "midisift/db/database.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <thread>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sqlite.hpp"

namespace midisift::db {

namespace {

using detail::Access;
using detail::Statement;
using detail::Transaction;

// The schema besides the columns of `files` (those come from scan::file_columns()): what each
// version added, in order. Index i holds version i + 1.
constexpr std::array<const char*, kSchemaVersion> kSchemaObjects = {
    // 1: the file rows' indexes and the repairs.
    R"sql(
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
)sql",
    // 2: the musical analysis (libanalyze/include/midisift/analyze/music.hpp).
    R"sql(
CREATE INDEX files_fingerprint ON files (fingerprint);
CREATE TABLE instruments (
  file_id    INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  track      INTEGER NOT NULL,
  channel    INTEGER NOT NULL,
  program    INTEGER NOT NULL,
  name       TEXT    NOT NULL,
  family     TEXT    NOT NULL,
  first_tick INTEGER NOT NULL,
  notes      INTEGER NOT NULL
);
CREATE INDEX instruments_file ON instruments (file_id);
CREATE INDEX instruments_program ON instruments (program);
CREATE TABLE loops (
  file_id    INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  track      INTEGER NOT NULL,
  start_bar  INTEGER NOT NULL,
  bars       INTEGER NOT NULL,
  repeats    INTEGER NOT NULL,
  start_tick INTEGER NOT NULL,
  end_tick   INTEGER NOT NULL,
  notes      INTEGER NOT NULL,
  exact      INTEGER NOT NULL,
  drum       INTEGER NOT NULL
);
CREATE INDEX loops_file ON loops (file_id);
)sql",
    // 3: incremental scans (`missing_since`: a scan of a folder no longer finds a file it listed
    // before; the row stays, with its facts, until the file comes back) and the views of SCHEMA.md.
    // (`file_overview` is created by version 5, which replaces the one version 3 made.)
    R"sql(
CREATE VIEW present_files AS SELECT * FROM files WHERE missing_since IS NULL;
CREATE VIEW byte_duplicates AS
  SELECT md5, count(*) OVER (PARTITION BY md5) AS copies, path, size_bytes, id AS file_id
  FROM present_files WHERE md5 IN (SELECT md5 FROM present_files WHERE md5 IS NOT NULL GROUP BY md5 HAVING count(*) > 1);
CREATE VIEW musical_duplicates AS
  SELECT fingerprint, count(*) OVER (PARTITION BY fingerprint) AS copies,
         count(*) OVER (PARTITION BY fingerprint, md5) AS byte_copies, path, md5, id AS file_id
  FROM present_files
  WHERE fingerprint IN (SELECT fingerprint FROM present_files WHERE fingerprint IS NOT NULL AND notes > 0
                        GROUP BY fingerprint HAVING count(DISTINCT md5) > 1);
CREATE VIEW failures AS
  SELECT id AS file_id, path, error_code, error, size_bytes FROM present_files WHERE status = 'failed';
CREATE VIEW repairs AS
  SELECT d.file_id, f.path, d.code, d.track, d.offset FROM diagnostics d JOIN present_files f ON f.id = d.file_id;
CREATE VIEW instrument_families AS
  SELECT i.family, count(DISTINCT i.file_id) AS files, sum(i.notes) AS notes
  FROM instruments i JOIN present_files f ON f.id = i.file_id GROUP BY i.family;
CREATE INDEX files_missing ON files (missing_since) WHERE missing_since IS NOT NULL;
)sql",
    // 4: `last_note_seconds` (a column only).
    "",
    // 5: keys spelled as musicians spell them (`Eb major`, not `D# major`), the length of the music
    // (`last_note_seconds`) in the overview; `lyrics`; MusPy's `pitch_range` renamed (kRenames).
    R"sql(
DROP VIEW IF EXISTS file_overview;
CREATE VIEW file_overview AS
  SELECT id AS file_id, path, status, format, tracks, duration_seconds, last_note_seconds, notes,
         CASE WHEN estimated_key_tonic IS NULL THEN NULL
              WHEN estimated_key_mode = 'minor'
                THEN rtrim(substr('C  C# D  Eb E  F  F# G  G# A  Bb B  ', estimated_key_tonic * 3 + 1, 3)) || ' minor'
              ELSE rtrim(substr('C  Db D  Eb E  F  F# G  Ab A  Bb B  ', estimated_key_tonic * 3 + 1, 3)) || ' major'
         END AS estimated_key,
         key_signature,
         coalesce(tempo_mean_bpm, initial_bpm) AS tempo_bpm,
         CASE WHEN coalesce(tempo_mean_bpm, initial_bpm) IS NULL THEN NULL
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 60 THEN 'below 60'
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 90 THEN '60-90'
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 120 THEN '90-120'
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 150 THEN '120-150'
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 180 THEN '150-180'
              ELSE '180 and above' END AS tempo_band,
         coalesce(time_signature, '4/4 (assumed)') AS time_signature,
         gm_families, md5, fingerprint
  FROM present_files;
)sql",
    // 6: the windowed key and the chords per beat (libanalyze/include/midisift/analyze/music.hpp);
    // chords are stored in one JSON column per file (`chord_segments`, a few hundred a file: one
    // row each tripled the writer's time) and read as rows through the `chords` view.
    R"sql(
CREATE TABLE key_regions (
  file_id       INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  start_bar     INTEGER NOT NULL,
  start_tick    INTEGER NOT NULL,
  start_seconds REAL    NOT NULL,
  key           TEXT    NOT NULL,
  tonic         INTEGER NOT NULL,
  mode          TEXT    NOT NULL,
  confidence    REAL    NOT NULL
);
CREATE INDEX key_regions_file ON key_regions (file_id);
CREATE VIEW chords AS
  SELECT f.id AS file_id, c.value ->> 0 AS start_tick, CAST(c.value ->> 1 AS REAL) AS start_seconds, c.value ->> 2 AS label,
         c.value ->> 3 AS root, c.value ->> 4 AS quality, c.value ->> 5 AS bass
  FROM present_files f, json_each(f.chord_segments) c WHERE f.chord_segments IS NOT NULL;
)sql",
    // 7: `analysis_version` (a column only): rows from an older analysis are analysed again.
    "",
    // 8: the grid's phase and the beat grid (`grid_offset_ticks`, `beat_seconds`,
    // `downbeat_seconds`), read as rows through the `beats` view; a failed file has no meter in
    // the overview (it was "4/4 (assumed)").
    R"sql(
CREATE VIEW beats AS
  SELECT f.id AS file_id, CAST(b.key AS INTEGER) AS beat, CAST(b.value AS REAL) AS seconds,
         EXISTS (SELECT 1 FROM json_each(f.downbeat_seconds) d WHERE d.value = b.value) AS downbeat
  FROM present_files f, json_each(f.beat_seconds) b WHERE f.beat_seconds IS NOT NULL;
DROP VIEW IF EXISTS file_overview;
CREATE VIEW file_overview AS
  SELECT id AS file_id, path, status, format, tracks, duration_seconds, last_note_seconds, notes,
         CASE WHEN estimated_key_tonic IS NULL THEN NULL
              WHEN estimated_key_mode = 'minor'
                THEN rtrim(substr('C  C# D  Eb E  F  F# G  G# A  Bb B  ', estimated_key_tonic * 3 + 1, 3)) || ' minor'
              ELSE rtrim(substr('C  Db D  Eb E  F  F# G  Ab A  Bb B  ', estimated_key_tonic * 3 + 1, 3)) || ' major'
         END AS estimated_key,
         key_signature,
         coalesce(tempo_mean_bpm, initial_bpm) AS tempo_bpm,
         CASE WHEN coalesce(tempo_mean_bpm, initial_bpm) IS NULL THEN NULL
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 60 THEN 'below 60'
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 90 THEN '60-90'
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 120 THEN '90-120'
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 150 THEN '120-150'
              WHEN coalesce(tempo_mean_bpm, initial_bpm) < 180 THEN '150-180'
              ELSE '180 and above' END AS tempo_band,
         CASE WHEN status = 'failed' THEN NULL ELSE coalesce(time_signature, '4/4 (assumed)') END AS time_signature,
         gm_families, md5, fingerprint
  FROM present_files;
)sql",
};

// Columns renamed by a schema version: applied to databases that have the column under its old
// name (schema `since` up to `version` - 1). A new database gets the new name from the table.
struct Rename {
  int since, version;
  const char* from;
  const char* to;
};
constexpr Rename kRenames[] = {
    {2, 5, "pitch_range", "pitch_range_span"},  // MusPy's span; `pitch_min`-`pitch_max` is the range people read
};

std::string column_definition(const scan::Column& c) {
  std::string d = fmt::format("{} {}", c.name, scan::sql_type(c.type));
  if (!c.constraints.empty()) {
    d += ' ';
    d += c.constraints;
  }
  return d;
}

// CREATE TABLE files with every column (a new database), or the ALTER TABLEs that add the columns
// newer than `version` (columns are only ever appended, so both give the same table).
std::string files_table_ddl(int version) {
  std::string sql;
  if (version == 0) {
    sql = "CREATE TABLE files (";
    bool first = true;
    for (const auto& c : scan::file_columns()) {
      sql += first ? "\n  " : ",\n  ";
      sql += column_definition(c);
      first = false;
    }
    sql += "\n);\n";
    return sql;
  }
  for (const auto& c : scan::file_columns()) {
    if (c.since > version) sql += "ALTER TABLE files ADD COLUMN " + column_definition(c) + ";\n";
  }
  return sql;
}

// The columns the writer fills, in binding order, and the INSERT for them.
std::string insert_files_sql() {
  std::string cols, params;
  int n = 0;
  for (const auto& c : scan::file_columns()) {
    if (c.value == nullptr) continue;
    if (n > 0) {
      cols += ", ";
      params += ", ";
    }
    cols += c.name;
    params += fmt::format("?{}", ++n);
  }
  return fmt::format("INSERT INTO files ({}) VALUES ({})", cols, params);
}

int read_user_version(const Database& db) {
  Statement s(db, "PRAGMA user_version");
  return s.step("reading user_version") ? static_cast<int>(s.int64(0)) : 0;
}

}  // namespace

// --- detail: RAII over the C API ---------------------------------------------------------------

namespace detail {

std::string message(const Database& db, std::string_view what) {
  return fmt::format("{} (database {}): {}", what, db.path().string(), sqlite3_errmsg(Access::handle(db)));
}

Statement::Statement(const Database& db, std::string_view sql, bool persistent) : db_(&db) {
  const char* tail = nullptr;
  const unsigned flags = persistent ? SQLITE_PREPARE_PERSISTENT : 0U;
  if (sqlite3_prepare_v3(Access::handle(db), sql.data(), static_cast<int>(sql.size()), flags, &stmt_, &tail) !=
      SQLITE_OK) {
    const std::string msg = message(db, "cannot prepare a statement");
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    throw Error(msg);
  }
  if (stmt_ == nullptr) throw Error(fmt::format("no SQL statement given (database {})", db.path().string()));
  const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  trailing_ = rest.find_first_not_of(" \t\r\n;") != std::string_view::npos;
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), trailing_(other.trailing_) {}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::bind_null(int index) { sqlite3_bind_null(stmt_, index); }
void Statement::bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
void Statement::bind(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
void Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}
void Statement::bind(int index, const scan::Value& value) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          bind_null(index);
        } else if constexpr (std::is_same_v<T, std::string>) {
          bind(index, std::string_view(x));
        } else {
          bind(index, x);
        }
      },
      value);
}

int Statement::step_code() noexcept { return sqlite3_step(stmt_); }

bool Statement::step(std::string_view what) {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Error(message(*db_, what));
}

void Statement::run(std::string_view what) {
  while (step(what)) {
  }
  reset();
}

void Statement::reset() noexcept { sqlite3_reset(stmt_); }
void Statement::clear_bindings() noexcept { sqlite3_clear_bindings(stmt_); }
int Statement::columns() const noexcept { return sqlite3_column_count(stmt_); }
bool Statement::is_null(int column) const noexcept { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
std::int64_t Statement::int64(int column) const noexcept { return sqlite3_column_int64(stmt_, column); }
double Statement::real(int column) const noexcept { return sqlite3_column_double(stmt_, column); }
std::string_view Statement::text(int column) const noexcept {
  const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return t ? std::string_view(t, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string_view();
}
std::optional<std::int64_t> Statement::optional_int64(int column) const noexcept {
  return is_null(column) ? std::nullopt : std::optional(int64(column));
}
std::optional<std::string_view> Statement::optional_text(int column) const noexcept {
  return is_null(column) ? std::nullopt : std::optional(text(column));
}
bool Statement::read_only_single() const noexcept { return !trailing_ && sqlite3_stmt_readonly(stmt_) != 0; }

Transaction::Transaction(Database& db, Kind kind) : db_(db) {
  db.exec(kind == Kind::Immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() { rollback(); }

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

void Transaction::rollback() noexcept {
  if (!open_) return;
  open_ = false;
  sqlite3_exec(Access::handle(db_), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace detail

// --- Database ----------------------------------------------------------------------------------

Database::Database(const std::filesystem::path& file, Mode mode) : path_(file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw Error("database " + file.string() + " is a directory (--db names the database file)");
  }
  if (mode == Mode::Read && !std::filesystem::exists(file, ec)) {
    throw Error("no database " + file.string() + " (create it with `midisift scan PATHS --db " + file.string() + "`)");
  }
  const int flags = mode == Mode::Read ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error("cannot open database " + file.string() + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    check_identity(mode);
    if (mode == Mode::Write) {
      // WAL: readers can query while a scan writes; NORMAL sync is durable at each checkpoint and
      // never corrupts on power loss (SQLite docs, "Write-Ahead Logging").
      set_wal();
      exec("PRAGMA synchronous = NORMAL");
    }
    exec("PRAGMA foreign_keys = ON");
    if (mode == Mode::Write) {
      migrate();
    } else if (const int version = user_version(); version != kSchemaVersion) {
      throw Error(fmt::format("database {} has schema version {}, {} than this midisift's ({}){}", path_.string(),
                              version, version > kSchemaVersion ? "newer" : "older", kSchemaVersion,
                              version > kSchemaVersion ? "" : ": `midisift scan` into it upgrades it"));
    }
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

void Database::set_wal() {
  // Switching a new database to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at
  // once, without its busy handler, while another connection (a second scan creating the same
  // database) holds any lock: retry for as long as the busy timeout would wait.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const int rc = sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if ((rc & 0xFF) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline) {
      throw Error(detail::message(*this, "cannot switch to write-ahead logging (PRAGMA journal_mode = WAL)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void Database::check_identity(Mode mode) {
  Statement s(*this,
              "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version), "
              "(SELECT count(*) FROM sqlite_master WHERE type = 'table'), "
              "(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'files')");
  if (!s.step("reading the database's identity")) return;
  const std::int64_t app = s.int64(0), version = s.int64(1), tables = s.int64(2), files = s.int64(3);
  if (app == kApplicationId) return;
  const bool before_application_id = app == 0 && version >= 1 && version <= 4 && files == 1;
  if (before_application_id) return;
  if (app == 0 && tables == 0 && version == 0) {
    if (mode == Mode::Write) return;  // new or empty: the migration creates the schema
    throw Error("database " + path_.string() + " is empty: not written by `midisift scan`");
  }
  throw Error(fmt::format("{} is not a midisift database (it holds {} tables of another program{}); midisift "
                          "neither reads nor writes it: choose another --db",
                          path_.string(), tables, app != 0 ? fmt::format(", application_id {:#x}", app) : ""));
}

Database::Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

void Database::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    // Name the statement when it is short (a PRAGMA, BEGIN, COMMIT): which step failed.
    const std::string_view what(sql);
    throw Error("SQLite error in database " + path_.string() +
                (what.size() <= 40 ? fmt::format(" ({})", what) : std::string()) + ": " + msg);
  }
}

int Database::user_version() { return read_user_version(*this); }

void Database::migrate() {
  const auto check = [&](int version) {
    if (version > kSchemaVersion) {
      throw Error("database " + path_.string() + " has schema version " + std::to_string(version) +
                  ", newer than this midisift understands (" + std::to_string(kSchemaVersion) + ")");
    }
    return version == kSchemaVersion;
  };
  if (check(user_version())) return;
  // Another scan may be creating or migrating the same database: take the write lock, then look
  // again (the other scan may have finished the work meanwhile).
  Transaction t(*this, Transaction::Kind::Immediate);
  const int version = user_version();
  if (check(version)) return;
  for (const auto& r : kRenames) {
    if (version >= r.since && version < r.version) {
      exec(fmt::format("ALTER TABLE files RENAME COLUMN {} TO {}", r.from, r.to).c_str());
    }
  }
  exec(files_table_ddl(version).c_str());
  for (int v = version + 1; v <= kSchemaVersion; ++v) exec(kSchemaObjects[static_cast<std::size_t>(v - 1)]);
  exec(fmt::format("PRAGMA application_id = {}", kApplicationId).c_str());
  exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
  t.commit();
}

// --- Writer ------------------------------------------------------------------------------------

struct Writer::Impl {
  Database& db;
  std::size_t batch_size;
  std::chrono::milliseconds max_batch_age;
  std::chrono::steady_clock::time_point batch_started;
  std::optional<Transaction> batch;
  bool broken = false;
  std::size_t pending = 0;
  std::uint64_t written = 0;
  std::uint64_t committed = 0;
  Statement mark_missing_id{db,
                            "UPDATE files SET missing_since = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                            "WHERE id = ?1 AND missing_since IS NULL",
                            true};
  Statement mark_missing_path{db,
                              "UPDATE files SET missing_since = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                              "WHERE path = ?1 AND missing_since IS NULL",
                              true};
  Statement remove{db, "DELETE FROM files WHERE path = ?1", true};
  Statement insert_file{db, insert_files_sql(), true};
  Statement insert_diag{db, "INSERT INTO diagnostics (file_id, code, track, offset) VALUES (?1, ?2, ?3, ?4)", true};
  Statement insert_instrument{db,
                              "INSERT INTO instruments (file_id, track, channel, program, name, family, first_tick, "
                              "notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              true};
  Statement insert_loop{db,
                        "INSERT INTO loops (file_id, track, start_bar, bars, repeats, start_tick, end_tick, notes, "
                        "exact, drum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        true};
  Statement insert_key_region{db,
                              "INSERT INTO key_regions (file_id, start_bar, start_tick, start_seconds, key, tonic, "
                              "mode, confidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              true};
  Impl(Database& d, std::size_t size, std::chrono::milliseconds age)
      : db(d), batch_size(size == 0 ? 1 : size), max_batch_age(age) {}

  [[noreturn]] void fail(std::string_view what, std::string_view path) {
    std::string msg(what);
    if (!path.empty()) {
      msg += " for ";
      msg += path;
    }
    msg = detail::message(db, msg);
    msg += fmt::format("; the open batch of {} records was rolled back, {} records committed before it are kept",
                       pending, committed);
    broken = true;
    for (Statement* s : {&mark_missing_id, &mark_missing_path, &remove, &insert_file, &insert_diag,
                         &insert_instrument, &insert_loop, &insert_key_region}) {
      s->reset();
    }
    batch.reset();  // ROLLBACK
    written -= pending;
    pending = 0;
    throw Error(msg);
  }
  void refuse_if_broken() const {
    if (broken) throw Error("the writer for database " + db.path().string() + " stopped after an earlier error");
  }
  void begin() {
    refuse_if_broken();
    if (batch) return;
    try {
      batch.emplace(db);
    } catch (const Error&) {
      fail("cannot begin a transaction", {});
    }
    batch_started = std::chrono::steady_clock::now();
  }
  // Runs `s` to completion and resets it; on an error the batch is rolled back and the writer stops.
  void run(Statement& s, std::string_view what, std::string_view path) {
    const int rc = s.step_code();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) fail(what, path);
    s.reset();
  }
  void after_write() {
    ++written;
    ++pending;
    if (pending >= batch_size || std::chrono::steady_clock::now() - batch_started >= max_batch_age) flush();
  }
  void flush() {
    refuse_if_broken();
    if (!batch) return;
    try {
      batch->commit();
    } catch (const Error&) {
      fail("cannot commit", {});
    }
    batch.reset();
    committed += pending;
    pending = 0;
  }
};

Writer::Writer(Database& db, std::size_t batch_size, std::chrono::milliseconds max_batch_age)
    : impl_(std::make_unique<Impl>(db, batch_size, max_batch_age)) {}

Writer::~Writer() {
  try {
    if (!impl_->broken) impl_->flush();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; flush() reports
  }
}

std::uint64_t Writer::committed() const noexcept { return impl_->committed; }
std::uint64_t Writer::written() const noexcept { return impl_->written; }
void Writer::flush() { impl_->flush(); }

void Writer::mark_missing(std::int64_t file_id) {
  auto& w = *impl_;
  w.begin();
  w.mark_missing_id.bind(1, file_id);
  w.run(w.mark_missing_id, "cannot mark a file missing", "file id " + std::to_string(file_id));
  w.after_write();
}

void Writer::mark_missing(std::string_view path) {
  auto& w = *impl_;
  w.begin();
  w.mark_missing_path.bind(1, path);
  w.run(w.mark_missing_path, "cannot mark a file missing", path);
  w.after_write();
}

void Writer::add(const scan::FileResult& r) {
  auto& w = *impl_;
  w.begin();
  w.remove.bind(1, std::string_view(r.path));
  w.run(w.remove, "deleting the previous row", r.path);

  int index = 0;
  for (const auto& c : scan::file_columns()) {
    if (c.value != nullptr) w.insert_file.bind(++index, c.value(r));
  }
  w.run(w.insert_file, "inserting the file row", r.path);
  const std::int64_t file_id = sqlite3_last_insert_rowid(Access::handle(w.db));

  const auto i64 = [](auto x) { return static_cast<std::int64_t>(x); };
  if (r.music) {
    for (const auto& u : r.music->instruments) {
      auto& s = w.insert_instrument;
      s.bind(1, file_id);
      s.bind(2, i64(u.track));
      s.bind(3, i64(u.channel));
      s.bind(4, i64(u.program));
      s.bind(5, analyze::instrument_name(u));
      s.bind(6, analyze::instrument_family(u));
      s.bind(7, i64(u.first_tick));
      s.bind(8, i64(u.notes));
      w.run(s, "inserting an instrument", r.path);
    }
    for (const auto& l : r.music->loops) {
      auto& s = w.insert_loop;
      s.bind(1, file_id);
      s.bind(2, i64(l.track));
      s.bind(3, i64(l.start_bar));
      s.bind(4, i64(l.bars));
      s.bind(5, i64(l.repeats));
      s.bind(6, i64(l.start_tick));
      s.bind(7, i64(l.end_tick));
      s.bind(8, i64(l.notes));
      s.bind(9, i64(l.exact ? 1 : 0));
      s.bind(10, i64(l.drum ? 1 : 0));
      w.run(s, "inserting a loop candidate", r.path);
    }
    for (const auto& k : r.music->key_regions) {
      auto& s = w.insert_key_region;
      s.bind(1, file_id);
      s.bind(2, i64(k.start_bar));
      s.bind(3, i64(k.start_tick));
      s.bind(4, k.start_seconds);
      s.bind(5, analyze::key_name(k.key));
      s.bind(6, i64(k.key.tonic));
      s.bind(7, analyze::to_string(k.key.mode));
      s.bind(8, k.confidence);
      w.run(s, "inserting a key region", r.path);
    }
  }
  for (const auto& d : r.diagnostics) {
    auto& s = w.insert_diag;
    s.bind(1, file_id);
    s.bind(2, parse::to_string(d.code));
    if (d.track == parse::kFileLevel) {
      s.bind_null(3);
    } else {
      s.bind(3, i64(d.track));
    }
    s.bind(4, i64(d.offset));
    w.run(s, "inserting a diagnostic", r.path);
  }
  w.after_write();
}

// --- Reads -------------------------------------------------------------------------------------

StatusCounts count_status(Database& db) {
  StatusCounts c;
  Statement s(db, "SELECT status, count(*) FROM files GROUP BY status");
  while (s.step("cannot count files")) {
    const std::string_view status = s.text(0);
    const auto n = static_cast<std::uint64_t>(s.int64(1));
    c.files += n;
    if (status == "ok") c.ok = n;
    else if (status == "recovered") c.recovered = n;
    else c.failed = n;
  }
  return c;
}

void for_each_file_under(Database& db, std::string_view root, const std::function<void(const KnownFile&)>& fn) {
  // path = root, or root/ <= path < root0 ('0' follows '/' in byte order): a range on the index.
  // A root "/" would give "//" and "/0": everything starting with "/" is under it.
  const bool top = root == "/";
  std::string lo(top ? std::string_view() : root), hi(top ? std::string_view() : root);
  lo += '/';
  hi += '0';
  Statement s(db,
              "SELECT id, path, size_bytes, mtime_ns, missing_since IS NOT NULL, analysis_version FROM files "
              "WHERE path = ?1 OR (path >= ?2 AND path < ?3) ORDER BY path");
  s.bind(1, root);
  s.bind(2, std::string_view(lo));
  s.bind(3, std::string_view(hi));
  while (s.step("cannot list the files under " + std::string(root))) {
    KnownFile k;
    k.id = s.int64(0);
    k.path = s.text(1);
    k.size_bytes = static_cast<std::uint64_t>(s.int64(2));
    k.mtime_ns = s.optional_int64(3);
    k.missing = s.int64(4) != 0;
    k.analysis_version = s.optional_int64(5);
    fn(k);
  }
}

namespace {

// (label, count) rows of a two-column query.
Counts counts(Database& db, const std::string& sql) {
  Counts out;
  Statement s(db, sql);
  while (s.step()) {
    out.emplace_back(s.is_null(0) ? std::nullopt : std::optional<std::string>(s.text(0)),
                     static_cast<std::uint64_t>(s.int64(1)));
  }
  return out;
}

std::string top_of(std::string_view column, std::string_view from, std::size_t top) {
  return fmt::format("SELECT {0}, count(*) AS n FROM {1} GROUP BY {0} ORDER BY n DESC, {0} LIMIT {2}", column, from, top);
}

}  // namespace

Counts count_rows(Database& db, std::string_view select) {
  Statement s(db, select);
  if (!s.read_only_single()) {
    throw Error("refused a query that is not one read-only statement (database " + db.path().string() + ")");
  }
  Counts out;
  while (s.step()) {
    out.emplace_back(s.is_null(0) ? std::nullopt : std::optional<std::string>(s.text(0)),
                     static_cast<std::uint64_t>(s.int64(1)));
  }
  return out;
}

CollectionStats collection_stats(Database& db, std::size_t top) {
  CollectionStats c;
  {
    Statement s(db,
                "SELECT count(*) FILTER (WHERE missing_since IS NULL), count(*) FILTER (WHERE missing_since IS NOT "
                "NULL), coalesce(sum(last_note_seconds) FILTER (WHERE missing_since IS NULL), 0) / 3600.0, "
                "count(last_note_seconds) FILTER (WHERE missing_since IS NULL), "
                "coalesce(sum(size_bytes) FILTER (WHERE missing_since IS NULL), 0) / 1e6 FROM files");
    if (s.step()) {
      c.files = static_cast<std::uint64_t>(s.int64(0));
      c.missing = static_cast<std::uint64_t>(s.int64(1));
      c.music_hours = s.real(2);
      c.timed_files = static_cast<std::uint64_t>(s.int64(3));
      c.megabytes = s.real(4);
    }
  }
  c.status = counts(db, "SELECT status, count(*) FROM present_files GROUP BY status ORDER BY 2 DESC");
  c.format = counts(db, top_of("format", "present_files", top));
  c.estimated_key = counts(db, top_of("estimated_key", "file_overview", top));
  c.tempo_band = counts(db,
                        "SELECT tempo_band, count(*) FROM file_overview GROUP BY tempo_band "
                        "ORDER BY min(tempo_bpm) IS NULL, min(tempo_bpm)");
  c.time_signature = counts(db, top_of("time_signature", "file_overview", top));
  c.instrument_families =
      counts(db, fmt::format("SELECT family, files FROM instrument_families ORDER BY files DESC, family LIMIT {}", top));
  {
    Statement s(db,
                "SELECT (SELECT count(DISTINCT md5) FROM byte_duplicates), "
                "(SELECT count(*) - count(DISTINCT md5) FROM byte_duplicates), "
                "(SELECT count(DISTINCT fingerprint) FROM musical_duplicates)");
    if (s.step()) {
      c.byte_duplicate_groups = static_cast<std::uint64_t>(s.int64(0));
      c.redundant_copies = static_cast<std::uint64_t>(s.int64(1));
      c.musical_duplicate_groups = static_cast<std::uint64_t>(s.int64(2));
    }
  }
  c.repairs = counts(
      db, fmt::format("SELECT code, count(DISTINCT file_id) AS n FROM repairs GROUP BY code ORDER BY n DESC, code LIMIT {}",
                      top));
  c.failures = counts(db, top_of("error_code", "failures", top));
  return c;
}

std::vector<DuplicateGroup> duplicate_groups(Database& db, DupeKind kind) {
  std::vector<DuplicateGroup> groups;
  const auto collect = [&](DupeKind group_kind, const char* sql) {
    Statement s(db, sql);
    while (s.step()) {
      const std::string_view key = s.text(0);
      if (groups.empty() || groups.back().kind != group_kind || groups.back().key != key) {
        groups.push_back({group_kind, std::string(key), {}});
      }
      groups.back().files.push_back({std::string(s.text(1)), std::string(s.text(2))});
    }
  };
  if (kind != DupeKind::Music) {
    collect(DupeKind::Bytes, "SELECT md5, path, md5 FROM byte_duplicates ORDER BY copies DESC, md5, path");
  }
  if (kind != DupeKind::Bytes) {
    collect(DupeKind::Music,
            "SELECT fingerprint, path, md5 FROM musical_duplicates ORDER BY copies DESC, fingerprint, md5, path");
  }
  return groups;
}

std::vector<LoopCandidateRow> loop_candidates(Database& db, std::string_view where, std::size_t limit) {
  const std::string sql = fmt::format(
      "SELECT path, track, start_bar, bars FROM ("
      " SELECT f.path AS path, l.track AS track, l.start_bar + 1 AS start_bar, l.bars AS bars, l.repeats AS repeats,"
      " l.notes AS notes, l.exact AS exact, l.drum AS drum, coalesce(f.tempo_mean_bpm, f.estimated_bpm) AS bpm,"
      " coalesce(f.time_signature, '4/4') AS time_signature"
      " FROM loops l JOIN present_files f ON f.id = l.file_id)"
      " WHERE ({}) ORDER BY path, track, start_bar, bars",
      where.empty() ? std::string_view("1") : where);
  Statement s(db, sql);
  // The condition is the user's SQL: one statement, and one that cannot write.
  if (!s.read_only_single()) {
    throw Error("refused a condition that is not part of one read-only statement (database " + db.path().string() +
                ")");
  }
  std::vector<LoopCandidateRow> rows;
  while ((limit == 0 || rows.size() < limit) && s.step()) {
    rows.push_back({std::string(s.text(0)), static_cast<std::uint16_t>(s.int64(1)),
                    static_cast<std::uint32_t>(s.int64(2)), static_cast<std::uint32_t>(s.int64(3))});
  }
  return rows;
}

MergeSummary merge(Database& into, const std::filesystem::path& shard) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(shard, ec)) throw Error("no database " + shard.string());
  if (std::filesystem::equivalent(shard, into.path(), ec)) {
    throw Error("cannot merge database " + shard.string() + " into itself");
  }
  {
    Statement attach(into, "ATTACH DATABASE ?1 AS shard");
    attach.bind(1, std::string_view(shard.native()));
    attach.run("cannot attach " + shard.string());
  }
  MergeSummary summary;
  try {
    const auto one = [&](const char* sql) {
      Statement s(into, sql);
      return s.step("cannot read " + shard.string()) ? s.int64(0) : 0;
    };
    const std::int64_t app = one("PRAGMA shard.application_id");
    const std::int64_t version = one("PRAGMA shard.user_version");
    const std::int64_t files = one("SELECT count(*) FROM shard.sqlite_master WHERE type = 'table' AND name = 'files'");
    if (app != kApplicationId || files != 1) {
      throw Error(shard.string() + " is not a midisift database (of schema 5 or later); nothing merged");
    }
    if (version != kSchemaVersion) {
      throw Error(fmt::format("{} has schema version {}, {} has {}: upgrade the older with `midisift scan` into it, "
                              "then merge; nothing merged",
                              shard.string(), version, into.path().string(), kSchemaVersion));
    }
    std::string columns;
    for (const auto& c : scan::file_columns()) {
      if (c.name == "id") continue;
      if (!columns.empty()) columns += ", ";
      columns += c.name;
    }
    Transaction t(into, Transaction::Kind::Immediate);
    // Rows for the shard's paths go first (diagnostics, instruments and loops go with them: ON
    // DELETE CASCADE), then the shard's rows come in under new ids, their children matched by path.
    into.exec("DELETE FROM main.files WHERE path IN (SELECT path FROM shard.files)");
    summary.replaced = static_cast<std::uint64_t>(sqlite3_changes64(Access::handle(into)));
    into.exec(fmt::format("INSERT INTO main.files ({0}) SELECT {0} FROM shard.files", columns).c_str());
    summary.files = static_cast<std::uint64_t>(sqlite3_changes64(Access::handle(into)));
    into.exec(
        "INSERT INTO main.diagnostics (file_id, code, track, offset) "
        "SELECT f.id, d.code, d.track, d.offset FROM shard.diagnostics d JOIN shard.files s ON s.id = d.file_id "
        "JOIN main.files f ON f.path = s.path;"
        "INSERT INTO main.instruments (file_id, track, channel, program, name, family, first_tick, notes) "
        "SELECT f.id, i.track, i.channel, i.program, i.name, i.family, i.first_tick, i.notes FROM shard.instruments i "
        "JOIN shard.files s ON s.id = i.file_id JOIN main.files f ON f.path = s.path;"
        "INSERT INTO main.loops (file_id, track, start_bar, bars, repeats, start_tick, end_tick, notes, exact, drum) "
        "SELECT f.id, l.track, l.start_bar, l.bars, l.repeats, l.start_tick, l.end_tick, l.notes, l.exact, l.drum "
        "FROM shard.loops l JOIN shard.files s ON s.id = l.file_id JOIN main.files f ON f.path = s.path;"
        "INSERT INTO main.key_regions (file_id, start_bar, start_tick, start_seconds, key, tonic, mode, confidence) "
        "SELECT f.id, k.start_bar, k.start_tick, k.start_seconds, k.key, k.tonic, k.mode, k.confidence "
        "FROM shard.key_regions k JOIN shard.files s ON s.id = k.file_id JOIN main.files f ON f.path = s.path;");
    t.commit();
  } catch (...) {
    sqlite3_exec(Access::handle(into), "DETACH DATABASE shard", nullptr, nullptr, nullptr);
    throw;
  }
  into.exec("DETACH DATABASE shard");
  return summary;
}

void query(Database& db, std::string_view sql, std::span<const std::string> params, const std::function<void(Row)>& fn) {
  Statement s(db, sql);
  if (!s.read_only_single()) {
    throw Error("refused a query that is not one read-only statement (database " + db.path().string() + ")");
  }
  for (std::size_t i = 0; i < params.size(); ++i) s.bind(static_cast<int>(i + 1), std::string_view(params[i]));
  std::vector<std::optional<std::string_view>> cols(static_cast<std::size_t>(s.columns()));
  while (s.step()) {
    for (std::size_t c = 0; c < cols.size(); ++c) cols[c] = s.optional_text(static_cast<int>(c));
    fn(Row(cols));
  }
}

}  // namespace midisift::db
