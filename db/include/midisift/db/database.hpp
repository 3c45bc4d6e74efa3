// SQLite storage of scan results: schema and migrations, the batched writer, read queries.
// The schema is documented in db/SCHEMA.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "midisift/analyze/facts.hpp"
#include "midisift/analyze/music.hpp"
#include "midisift/parse/diagnostic.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace midisift::db {

/// Schema version stored in `PRAGMA user_version`.
inline constexpr int kSchemaVersion = 3;

/// Any SQLite failure: the message names the database file and SQLite's own text.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `files.status`: ok (read as written), recovered (read with repairs, see `diagnostics`),
/// failed (not readable; `files.error` says why).
enum class FileStatus : std::uint8_t { Ok, Recovered, Failed };
[[nodiscard]] std::string_view to_string(FileStatus s) noexcept;

/// One row of `files` plus its `diagnostics` rows.
struct FileRecord {
  std::string path;                    ///< as walked (relative or absolute, as given on the command line)
  std::uint64_t size_bytes = 0;
  std::optional<std::int64_t> mtime_ns;  ///< modification time, nanoseconds since the Unix epoch
  std::string md5;                     ///< hex; empty when the bytes could not be read
  FileStatus status = FileStatus::Failed;
  std::string error_code;              ///< `parse::to_string(Fatal)`, e.g. "not_midi"; empty unless failed
  std::string error;                   ///< a sentence naming the problem; empty unless failed
  bool riff = false;
  std::optional<analyze::FileFacts> facts;  ///< absent for failed files
  /// Absent for failed files. Its vectors and strings live in the memory resource of the analysis:
  /// valid until `Writer::add` returns.
  std::optional<analyze::MusicalFacts> music;
  /// Repairs; a view that must stay valid until `Writer::add` returns.
  std::span<const parse::Diagnostic> diagnostics;
};

/// An open database, schema migrated to `kSchemaVersion`. Move-only; closes on destruction.
class Database {
 public:
  /// Opens or creates `file` and migrates it. Throws `Error` (unwritable folder, not a database,
  /// written by a newer midisift, ...).
  explicit Database(const std::filesystem::path& file);
  Database(Database&& other) noexcept;
  Database& operator=(Database&&) = delete;
  Database(const Database&) = delete;
  ~Database();

  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// Runs SQL with no results (DDL, PRAGMA, BEGIN/COMMIT). Throws `Error`.
  void exec(const char* sql);
  [[nodiscard]] int user_version();

 private:
  void migrate();
  [[noreturn]] void fail(std::string_view what) const;
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

/// Writes records in batched transactions through prepared statements. A record for a path
/// already present replaces it (and its diagnostics, instruments and loops). Not thread-safe: one
/// writer stage.
///
/// Crash safety: a batch is one transaction, so a process killed at any moment leaves every
/// committed batch intact and no half-written file (SQLite's atomic commit, WAL mode). When a
/// statement fails (disk full, read-only file), the open batch is rolled back, the writer refuses
/// further work, and the error says how many records earlier batches committed.
class Writer {
 public:
  /// A transaction is committed after `batch_size` records or once it has been open for
  /// `max_batch_age`, whichever comes first: a long scan then shows its progress in the database
  /// and a crash loses at most that much work.
  explicit Writer(Database& db, std::size_t batch_size = 2000,
                  std::chrono::milliseconds max_batch_age = std::chrono::milliseconds(1000));
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  /// Commits what is pending unless an earlier error broke the writer; errors here are swallowed
  /// (call `flush` to see them).
  ~Writer();

  /// Queues `record` in the open transaction; commits when the batch is full or old. Throws `Error`.
  void add(const FileRecord& record);
  /// Sets `missing_since` to now on the row `file_id` (or the row for `path`), unless already set:
  /// the file is no longer where a scan found it. Throws `Error`.
  void mark_missing(std::int64_t file_id);
  void mark_missing(std::string_view path);
  /// Commits the open transaction, if any. Throws `Error`.
  void flush();
  /// Records added and committed so far.
  [[nodiscard]] std::uint64_t committed() const noexcept { return committed_; }
  [[nodiscard]] std::uint64_t written() const noexcept { return written_; }

 private:
  void prepare(sqlite3_stmt** stmt, const char* sql);
  void begin();
  [[noreturn]] void fail(const std::string& what, std::string_view path);
  void after_write();
  Database& db_;
  std::size_t batch_size_;
  std::chrono::milliseconds max_batch_age_;
  std::chrono::steady_clock::time_point batch_started_;
  bool broken_ = false;
  std::size_t pending_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t committed_ = 0;
  sqlite3_stmt* mark_missing_id_ = nullptr;
  sqlite3_stmt* mark_missing_path_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* insert_file_ = nullptr;
  sqlite3_stmt* insert_diag_ = nullptr;
  sqlite3_stmt* insert_instrument_ = nullptr;
  sqlite3_stmt* insert_loop_ = nullptr;
};

/// Counts by status, for the summary line and tests.
struct StatusCounts {
  std::uint64_t files = 0, ok = 0, recovered = 0, failed = 0;
};
[[nodiscard]] StatusCounts count_status(Database& db);

/// A `files` row as an incremental scan compares it with the file on disk. `path` is valid only
/// during the callback.
struct KnownFile {
  std::int64_t id = 0;
  std::string_view path;
  std::uint64_t size_bytes = 0;
  std::optional<std::int64_t> mtime_ns;
  bool missing = false;  ///< `missing_since` is set
};
/// Calls `fn` for every row whose path is `root` itself or lies under the folder `root` (the path
/// begins with `root` + "/"), through the unique index on `path`. `root` is compared as bytes: it
/// must be spelled as the scan that wrote the rows spelled it. Throws `Error`.
void for_each_file_under(Database& db, std::string_view root, const std::function<void(const KnownFile&)>& fn);

/// A result row of `query`: each column as text, `std::nullopt` for SQL NULL. Valid only during
/// the callback.
using Row = std::span<const std::optional<std::string_view>>;
/// Runs one SQL statement with `params` bound as text to ?1, ?2, ... and calls `fn` per row.
/// For the read-only reports (`midisift stats`, `dupes`, `clips export --where`): a statement that
/// could write, or more than one statement, is refused. Throws `Error` naming the database.
void query(Database& db, std::string_view sql, std::span<const std::string> params,
           const std::function<void(Row)>& fn);

}  // namespace midisift::db
