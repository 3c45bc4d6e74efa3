#include "midisift/db/database.hpp"

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

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

// Schema version 2: the musical analysis (libanalyze/include/midisift/analyze/music.hpp).
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE files ADD COLUMN tempo_min_bpm REAL;
ALTER TABLE files ADD COLUMN tempo_max_bpm REAL;
ALTER TABLE files ADD COLUMN tempo_mean_bpm REAL;
ALTER TABLE files ADD COLUMN estimated_bpm REAL;
ALTER TABLE files ADD COLUMN estimated_bpm_confidence REAL;
ALTER TABLE files ADD COLUMN time_signature TEXT;
ALTER TABLE files ADD COLUMN time_signature_changes INTEGER;
ALTER TABLE files ADD COLUMN key_signature TEXT;
ALTER TABLE files ADD COLUMN key_signature_changes INTEGER;
ALTER TABLE files ADD COLUMN estimated_key_tonic INTEGER;
ALTER TABLE files ADD COLUMN estimated_key_mode TEXT;
ALTER TABLE files ADD COLUMN estimated_key_confidence REAL;
ALTER TABLE files ADD COLUMN estimated_key_runner_up TEXT;
ALTER TABLE files ADD COLUMN estimated_key_runner_up_confidence REAL;
ALTER TABLE files ADD COLUMN notes INTEGER;
ALTER TABLE files ADD COLUMN drum_notes INTEGER;
ALTER TABLE files ADD COLUMN unmatched_note_offs INTEGER;
ALTER TABLE files ADD COLUMN notes_open_at_track_end INTEGER;
ALTER TABLE files ADD COLUMN pitch_mean REAL;
ALTER TABLE files ADD COLUMN velocity_mean REAL;
ALTER TABLE files ADD COLUMN velocity_std REAL;
ALTER TABLE files ADD COLUMN pitch_class_histogram TEXT;
ALTER TABLE files ADD COLUMN polyphony_max INTEGER;
ALTER TABLE files ADD COLUMN polyphony_mean REAL;
ALTER TABLE files ADD COLUMN notes_per_second REAL;
ALTER TABLE files ADD COLUMN gm_families TEXT;
ALTER TABLE files ADD COLUMN track_names TEXT;
ALTER TABLE files ADD COLUMN has_lyrics INTEGER;
ALTER TABLE files ADD COLUMN has_text INTEGER;
ALTER TABLE files ADD COLUMN pitch_range INTEGER;
ALTER TABLE files ADD COLUMN n_pitches_used INTEGER;
ALTER TABLE files ADD COLUMN n_pitch_classes_used INTEGER;
ALTER TABLE files ADD COLUMN polyphony REAL;
ALTER TABLE files ADD COLUMN polyphony_rate REAL;
ALTER TABLE files ADD COLUMN pitch_in_scale_rate REAL;
ALTER TABLE files ADD COLUMN scale_consistency REAL;
ALTER TABLE files ADD COLUMN pitch_entropy REAL;
ALTER TABLE files ADD COLUMN pitch_class_entropy REAL;
ALTER TABLE files ADD COLUMN empty_beat_rate REAL;
ALTER TABLE files ADD COLUMN drum_in_pattern_rate REAL;
ALTER TABLE files ADD COLUMN drum_pattern_consistency REAL;
ALTER TABLE files ADD COLUMN groove_consistency REAL;
ALTER TABLE files ADD COLUMN fingerprint TEXT;
ALTER TABLE files ADD COLUMN loop_count INTEGER;
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
)sql";

// Schema version 3: incremental scans and the views of db/SCHEMA.md. `missing_since` is set when
// a scan of a folder no longer finds a file it listed before; the row stays, with its facts, until
// the file comes back (its row is then rewritten) or someone deletes it.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE files ADD COLUMN missing_since TEXT;
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
CREATE VIEW file_overview AS
  SELECT id AS file_id, path, status, format, tracks, duration_seconds, notes,
         CASE WHEN estimated_key_tonic IS NULL THEN NULL
              ELSE rtrim(substr('C C#D D#E F F#G G#A A#B ', estimated_key_tonic * 2 + 1, 2)) || ' ' || estimated_key_mode
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
CREATE VIEW failures AS
  SELECT id AS file_id, path, error_code, error, size_bytes FROM present_files WHERE status = 'failed';
CREATE VIEW repairs AS
  SELECT d.file_id, f.path, d.code, d.track, d.offset FROM diagnostics d JOIN present_files f ON f.id = d.file_id;
CREATE VIEW instrument_families AS
  SELECT i.family, count(DISTINCT i.file_id) AS files, sum(i.notes) AS notes
  FROM instruments i JOIN present_files f ON f.id = i.file_id GROUP BY i.family;
CREATE INDEX files_missing ON files (missing_since) WHERE missing_since IS NOT NULL;
)sql";

// Columns of `files` written by the writer, in binding order.
constexpr const char* kFileColumns[] = {
    "path", "size_bytes", "mtime_ns", "md5", "status", "error_code", "error", "riff", "diagnostic_count",
    // FileFacts
    "format", "tracks", "ppq", "smpte_fps", "ticks_per_frame", "note_on_events", "channel_events", "meta_events",
    "sysex_events", "end_tick", "duration_seconds", "tempo_changes", "initial_bpm", "pitch_min", "pitch_max",
    "channels",
    // MusicalFacts
    "tempo_min_bpm", "tempo_max_bpm", "tempo_mean_bpm", "estimated_bpm", "estimated_bpm_confidence",
    "time_signature", "time_signature_changes", "key_signature", "key_signature_changes", "estimated_key_tonic",
    "estimated_key_mode", "estimated_key_confidence", "estimated_key_runner_up", "estimated_key_runner_up_confidence",
    "notes", "drum_notes", "unmatched_note_offs", "notes_open_at_track_end", "pitch_mean", "velocity_mean",
    "velocity_std", "pitch_class_histogram", "polyphony_max", "polyphony_mean", "notes_per_second", "gm_families",
    "track_names", "has_lyrics", "has_text", "pitch_range", "n_pitches_used", "n_pitch_classes_used", "polyphony",
    "polyphony_rate", "pitch_in_scale_rate", "scale_consistency", "pitch_entropy", "pitch_class_entropy",
    "empty_beat_rate", "drum_in_pattern_rate", "drum_pattern_consistency", "groove_consistency", "fingerprint",
    "loop_count"};
constexpr std::size_t kFileColumnCount = sizeof(kFileColumns) / sizeof(kFileColumns[0]);

std::string insert_files_sql() {
  std::string cols, params;
  for (std::size_t i = 0; i < kFileColumnCount; ++i) {
    if (i > 0) {
      cols += ", ";
      params += ", ";
    }
    cols += kFileColumns[i];
    params += '?';
    params += std::to_string(i + 1);
  }
  std::string sql = "INSERT INTO files (";
  sql += cols;
  sql += ") VALUES (";
  sql += params;
  sql += ')';
  return sql;
}

// Binds parameters in order; optional values bind NULL when absent. Text is bound SQLITE_TRANSIENT
// (copied) so that temporaries may be passed.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* s) : s_(s) {}
  void null() { sqlite3_bind_null(s_, next()); }
  void i64(std::int64_t v) { sqlite3_bind_int64(s_, next(), v); }
  void u64(std::uint64_t v) { i64(static_cast<std::int64_t>(v)); }
  void real(double v) { sqlite3_bind_double(s_, next(), v); }
  void text(std::string_view v) { sqlite3_bind_text(s_, next(), v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  template <class T>
  void opt_real(const std::optional<T>& v) { v ? real(static_cast<double>(*v)) : null(); }
  template <class T>
  void opt_int(const std::optional<T>& v) { v ? i64(static_cast<std::int64_t>(*v)) : null(); }
  void opt_text(std::string_view v) { v.empty() ? null() : text(v); }
  void nulls(int n) { for (int i = 0; i < n; ++i) null(); }
  [[nodiscard]] int bound() const noexcept { return i_; }

 private:
  int next() { return ++i_; }
  sqlite3_stmt* s_;
  int i_ = 0;
};

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
    if (version < 2) exec(kSchemaV2);
    if (version < 3) exec(kSchemaV3);
    exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

Writer::Writer(Database& db, std::size_t batch_size, std::chrono::milliseconds max_batch_age)
    : db_(db), batch_size_(batch_size == 0 ? 1 : batch_size), max_batch_age_(max_batch_age) {
  prepare(&mark_missing_id_,
          "UPDATE files SET missing_since = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
          "WHERE id = ?1 AND missing_since IS NULL");
  prepare(&mark_missing_path_,
          "UPDATE files SET missing_since = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
          "WHERE path = ?1 AND missing_since IS NULL");
  prepare(&delete_, "DELETE FROM files WHERE path = ?1");
  prepare(&insert_file_, insert_files_sql().c_str());
  prepare(&insert_diag_, "INSERT INTO diagnostics (file_id, code, track, offset) VALUES (?1, ?2, ?3, ?4)");
  prepare(&insert_instrument_,
          "INSERT INTO instruments (file_id, track, channel, program, name, family, first_tick, notes) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  prepare(&insert_loop_,
          "INSERT INTO loops (file_id, track, start_bar, bars, repeats, start_tick, end_tick, notes, exact, drum) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
}

Writer::~Writer() {
  try {
    if (!broken_) flush();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; flush() reports
  }
  if (pending_ > 0) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  for (sqlite3_stmt* s : {mark_missing_id_, mark_missing_path_, delete_, insert_file_, insert_diag_,
                          insert_instrument_, insert_loop_}) {
    sqlite3_finalize(s);
  }
}

void Writer::prepare(sqlite3_stmt** stmt, const char* sql) {
  if (sqlite3_prepare_v3(db_.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
    throw Error(std::string("cannot prepare statement (database ") + db_.path().string() +
                "): " + sqlite3_errmsg(db_.handle()));
  }
}

namespace {

void bind_music(Binder& b, const analyze::MusicalFacts& m) {
  b.opt_real(m.tempo_min_bpm);
  b.opt_real(m.tempo_max_bpm);
  b.opt_real(m.tempo_mean_bpm);
  if (m.estimated_tempo) {
    b.real(m.estimated_tempo->bpm);
    b.real(m.estimated_tempo->confidence);
  } else {
    b.nulls(2);
  }
  if (m.time_signature) {
    std::string ts = std::to_string(m.time_signature->numerator);
    ts += '/';
    ts += std::to_string(m.time_signature->denominator);
    b.text(ts);
  } else {
    b.null();
  }
  b.i64(m.time_signature_changes);
  m.key_signature ? b.text(analyze::key_name(m.key_signature->key())) : b.null();
  b.i64(m.key_signature_changes);
  if (m.estimated_key) {
    b.i64(m.estimated_key->key.tonic);
    b.text(analyze::to_string(m.estimated_key->key.mode));
    b.real(m.estimated_key->correlation);
    b.text(analyze::key_name(m.estimated_key->runner_up));
    b.real(m.estimated_key->runner_up_correlation);
  } else {
    b.nulls(5);
  }
  b.u64(m.notes);
  b.u64(m.drum_notes);
  b.i64(m.unmatched_note_offs);
  b.i64(m.notes_open_at_track_end);
  b.opt_real(m.pitch_mean);
  b.opt_real(m.velocity_mean);
  b.opt_real(m.velocity_std);
  b.text(nlohmann::json(m.pitch_class_histogram).dump());
  b.i64(m.polyphony_max);
  b.opt_real(m.polyphony_mean);
  b.opt_real(m.notes_per_second);
  b.text(nlohmann::json(m.gm_families()).dump());
  auto names = nlohmann::json::array();
  for (const auto& n : m.track_names) names.push_back(std::string_view(n));
  b.text(names.dump());
  b.i64(m.has_lyrics ? 1 : 0);
  b.i64(m.has_text ? 1 : 0);
  const auto& x = m.metrics;
  b.i64(x.pitch_range);
  b.i64(x.n_pitches_used);
  b.i64(x.n_pitch_classes_used);
  b.opt_real(x.polyphony);
  b.opt_real(x.polyphony_rate);
  b.opt_real(x.pitch_in_scale_rate);
  b.opt_real(x.scale_consistency);
  b.opt_real(x.pitch_entropy);
  b.opt_real(x.pitch_class_entropy);
  b.opt_real(x.empty_beat_rate);
  b.opt_real(x.drum_in_pattern_rate);
  b.opt_real(x.drum_pattern_consistency);
  b.opt_real(x.groove_consistency);
  m.fingerprint ? b.text(analyze::to_hex(*m.fingerprint)) : b.null();
  b.u64(m.loops.size());
}

}  // namespace

void Writer::fail(const std::string& what, std::string_view path) {
  std::string msg = what;
  if (!path.empty()) {
    msg += " for ";
    msg += path;
  }
  msg += " (database " + db_.path().string() + "): " + sqlite3_errmsg(db_.handle());
  msg += "; the open batch of " + std::to_string(pending_) + " records was rolled back, " +
         std::to_string(committed_) + " records committed before it are kept";
  broken_ = true;
  sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  written_ -= pending_;
  pending_ = 0;
  throw Error(msg);
}

void Writer::begin() {
  if (broken_) throw Error("the writer for database " + db_.path().string() + " stopped after an earlier error");
  if (pending_ > 0) return;
  if (sqlite3_exec(db_.handle(), "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) fail("cannot begin a transaction", {});
  batch_started_ = std::chrono::steady_clock::now();
}

void Writer::after_write() {
  ++written_;
  ++pending_;
  if (pending_ >= batch_size_ || std::chrono::steady_clock::now() - batch_started_ >= max_batch_age_) flush();
}

void Writer::mark_missing(std::int64_t file_id) {
  begin();
  sqlite3_bind_int64(mark_missing_id_, 1, file_id);
  const int rc = sqlite3_step(mark_missing_id_);
  sqlite3_reset(mark_missing_id_);
  if (rc != SQLITE_DONE) fail("cannot mark a file missing", "file id " + std::to_string(file_id));
  after_write();
}

void Writer::mark_missing(std::string_view path) {
  begin();
  sqlite3_bind_text(mark_missing_path_, 1, path.data(), static_cast<int>(path.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(mark_missing_path_);
  sqlite3_reset(mark_missing_path_);
  if (rc != SQLITE_DONE) fail("cannot mark a file missing", path);
  after_write();
}

void Writer::add(const FileRecord& r) {
  sqlite3* h = db_.handle();
  auto check = [&](int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
      // The failed statement's bindings may view `r`: clear them before unwinding.
      for (sqlite3_stmt* st : {delete_, insert_file_, insert_diag_, insert_instrument_, insert_loop_}) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
      }
      fail(what, r.path);
    }
  };
  begin();

  sqlite3_bind_text(delete_, 1, r.path.data(), static_cast<int>(r.path.size()), SQLITE_STATIC);
  check(sqlite3_step(delete_), "deleting the previous row");
  sqlite3_reset(delete_);

  sqlite3_stmt* s = insert_file_;
  Binder b(s);
  b.text(r.path);
  b.u64(r.size_bytes);
  b.opt_int(r.mtime_ns);
  b.opt_text(r.md5);
  b.text(to_string(r.status));
  b.opt_text(r.error_code);
  b.opt_text(r.error);
  b.i64(r.riff ? 1 : 0);
  b.u64(r.diagnostics.size());
  if (r.facts) {
    const auto& f = *r.facts;
    const bool smpte = f.smpte_fps != 0;
    b.i64(f.format);
    b.i64(f.tracks);
    smpte ? b.null() : b.i64(f.ppq);
    smpte ? b.i64(f.smpte_fps) : b.null();
    smpte ? b.i64(f.ticks_per_frame) : b.null();
    b.u64(f.note_on_events);
    b.u64(f.channel_events);
    b.u64(f.meta_events);
    b.u64(f.sysex_events);
    b.i64(f.end_tick);
    b.opt_real(f.duration_seconds);
    b.i64(f.tempo_changes);
    b.opt_real(f.initial_bpm);
    b.opt_int(f.pitch_min);
    b.opt_int(f.pitch_max);
    b.text(channels_json(f.channel_mask));
  } else {
    b.nulls(16);
  }
  if (r.music) {
    bind_music(b, *r.music);
  } else {
    b.nulls(static_cast<int>(kFileColumnCount) - b.bound());
  }
  check(sqlite3_step(s), "inserting the file row");
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  const sqlite3_int64 file_id = sqlite3_last_insert_rowid(h);

  if (r.music) {
    for (const auto& u : r.music->instruments) {
      Binder ib(insert_instrument_);
      ib.i64(file_id);
      ib.i64(u.track);
      ib.i64(u.channel);
      ib.i64(u.program);
      ib.text(analyze::instrument_name(u));
      ib.text(analyze::instrument_family(u));
      ib.i64(u.first_tick);
      ib.i64(u.notes);
      check(sqlite3_step(insert_instrument_), "inserting an instrument");
      sqlite3_reset(insert_instrument_);
    }
    for (const auto& l : r.music->loops) {
      Binder lb(insert_loop_);
      lb.i64(file_id);
      lb.i64(l.track);
      lb.i64(l.start_bar);
      lb.i64(l.bars);
      lb.i64(l.repeats);
      lb.i64(l.start_tick);
      lb.i64(l.end_tick);
      lb.i64(l.notes);
      lb.i64(l.exact ? 1 : 0);
      lb.i64(l.drum ? 1 : 0);
      check(sqlite3_step(insert_loop_), "inserting a loop candidate");
      sqlite3_reset(insert_loop_);
    }
  }

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
  after_write();
}

void Writer::flush() {
  if (broken_) throw Error("the writer for database " + db_.path().string() + " stopped after an earlier error");
  if (pending_ == 0) return;
  if (sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) fail("cannot commit", {});
  committed_ += pending_;
  pending_ = 0;
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

void for_each_file_under(Database& db, std::string_view root, const std::function<void(const KnownFile&)>& fn) {
  // path = root, or root/ <= path < root0 ('0' follows '/' in byte order): a range on the index.
  std::string lo(root), hi(root);
  lo += '/';
  hi += '0';
  std::vector<std::string> params{std::string(root), lo, hi};
  // A root "/" would give "//" and "/0": everything starting with "/" is under it.
  if (root == "/") params = {"/", "/", "0"};
  query(db,
        "SELECT id, path, size_bytes, mtime_ns, missing_since IS NOT NULL FROM files "
        "WHERE path = ?1 OR (path >= ?2 AND path < ?3) ORDER BY path",
        params, [&](Row row) {
          KnownFile k;
          k.id = std::stoll(std::string(*row[0]));
          k.path = *row[1];
          k.size_bytes = std::stoull(std::string(*row[2]));
          if (row[3]) k.mtime_ns = std::stoll(std::string(*row[3]));
          k.missing = *row[4] == "1";
          fn(k);
        });
}

void query(Database& db, std::string_view sql, std::span<const std::string> params, const std::function<void(Row)>& fn) {
  sqlite3_stmt* stmt = nullptr;
  auto fail = [&](const char* what) {
    std::string msg = std::string(what) + " (database " + db.path().string() + "): " + sqlite3_errmsg(db.handle());
    sqlite3_finalize(stmt);
    throw Error(msg);
  };
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt, &tail) != SQLITE_OK) {
    fail("cannot prepare a query");
  }
  // Reports may carry a user's SQL (`clips export --where`): one statement, and one that cannot write.
  const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (stmt == nullptr || rest.find_first_not_of(" \t\r\n;") != std::string_view::npos || !sqlite3_stmt_readonly(stmt)) {
    sqlite3_finalize(stmt);
    throw Error("refused a query that is not one read-only statement (database " + db.path().string() + ")");
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].data(), static_cast<int>(params[i].size()),
                      SQLITE_STATIC);
  }
  const int ncols = sqlite3_column_count(stmt);
  std::vector<std::optional<std::string_view>> cols(static_cast<std::size_t>(ncols));
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    for (int c = 0; c < ncols; ++c) {
      const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      cols[static_cast<std::size_t>(c)] =
          t ? std::optional<std::string_view>(std::string_view(t, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))))
            : std::nullopt;
    }
    try {
      fn(Row(cols));
    } catch (...) {
      sqlite3_finalize(stmt);
      throw;
    }
  }
  if (rc != SQLITE_DONE) fail("query failed");
  sqlite3_finalize(stmt);
}

}  // namespace midisift::db
