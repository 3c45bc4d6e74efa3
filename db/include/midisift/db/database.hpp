// SQLite storage of scan results: schema and migrations, the batched writer, read queries.
// The schema is documented in db/SCHEMA.md; the columns of `files` come from scan::file_columns().
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "midisift/scan/file_result.hpp"

struct sqlite3;

namespace midisift::db {

namespace detail {
struct Access;
}

/// Schema version stored in `PRAGMA user_version`.
inline constexpr int kSchemaVersion = 8;
/// `PRAGMA application_id` of a midisift database ("MSFT" would clash; this is "MiSi"), so that
/// `file(1)`, SQLite tools and midisift itself can tell it from another program's database.
inline constexpr std::int32_t kApplicationId = 0x4D695369;

/// Any SQLite failure: the message names the database file and SQLite's own text.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An open database. Move-only; closes on destruction.
class Database {
 public:
  /// `Write`: open or create, and migrate to `kSchemaVersion` (for `scan`). `Read`: open an
  /// existing database read-only, creating and changing nothing (for `stats`, `dupes`,
  /// `clips export --db`).
  enum class Mode : std::uint8_t { Write, Read };
  /// Throws `Error` naming the file: it cannot be opened or created; it is not an SQLite database;
  /// it is not a midisift database (`PRAGMA application_id` differs and it already holds tables);
  /// it was written by a newer midisift; or (Read) it does not exist or has an older schema, which
  /// the next `scan` into it upgrades. A database of schema 1-4 (before application_id) is
  /// recognised by its `files` table and `user_version`.
  explicit Database(const std::filesystem::path& file, Mode mode = Mode::Write);
  Database(Database&& other) noexcept;
  Database& operator=(Database&&) = delete;
  Database(const Database&) = delete;
  ~Database();

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// Runs SQL with no results (DDL, PRAGMA, BEGIN/COMMIT; several statements allowed). Throws `Error`.
  void exec(const char* sql);
  [[nodiscard]] int user_version();

 private:
  friend struct detail::Access;
  void check_identity(Mode mode);
  void set_wal();
  void migrate();
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

/// Writes results in batched transactions through prepared statements. A result for a path
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

  /// Queues `result` (its views need to stay valid only during the call) in the open transaction;
  /// commits when the batch is full or old. Throws `Error`.
  void add(const scan::FileResult& result);
  /// Sets `missing_since` to now on the row `file_id` (or the row for `path`), unless already set:
  /// the file is no longer where a scan found it. Throws `Error`.
  void mark_missing(std::int64_t file_id);
  void mark_missing(std::string_view path);
  /// Commits the open transaction, if any. Throws `Error`.
  void flush();
  /// Records added and committed so far.
  [[nodiscard]] std::uint64_t committed() const noexcept;
  [[nodiscard]] std::uint64_t written() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
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
  std::optional<std::int64_t> analysis_version;  ///< NULL: written before schema 7
  bool missing = false;  ///< `missing_since` is set
};
/// Calls `fn` for every row whose path is `root` itself or lies under the folder `root` (the path
/// begins with `root` + "/"), through the unique index on `path`. `root` is compared as bytes: it
/// must be spelled as the scan that wrote the rows spelled it. Throws `Error`.
void for_each_file_under(Database& db, std::string_view root, const std::function<void(const KnownFile&)>& fn);

/// (label, count) pairs, most frequent first unless said otherwise; no label for SQL NULL.
using Counts = std::vector<std::pair<std::optional<std::string>, std::uint64_t>>;

/// The rows of a two-column (label, count) SELECT, e.g. a histogram for `midisift report`; the label
/// as text (no label for NULL). The statement must be read-only. Throws `Error`.
[[nodiscard]] Counts count_rows(Database& db, std::string_view select);

/// The overview `midisift stats` prints, from the views of db/SCHEMA.md (present files only).
struct CollectionStats {
  std::uint64_t files = 0;          ///< present files
  std::uint64_t missing = 0;        ///< rows marked missing
  double megabytes = 0;             ///< size of the present files, 10^6 bytes
  double music_hours = 0;           ///< sum of `last_note_seconds`: how long the music lasts
  std::uint64_t timed_files = 0;    ///< files with a `last_note_seconds` (notes and a metrical time base)
  Counts status;                    ///< by count
  Counts format;                    ///< top `top`
  Counts estimated_key;             ///< top `top`
  Counts tempo_band;                ///< in tempo order, files without a tempo ("") last
  Counts time_signature;            ///< top `top`
  Counts instrument_families;       ///< files per GM family, top `top`
  std::uint64_t byte_duplicate_groups = 0, redundant_copies = 0, musical_duplicate_groups = 0;
  Counts repairs;                   ///< files per diagnostic code, top `top`
  Counts failures;                  ///< failed files per error code, top `top`
};
/// Throws `Error`.
[[nodiscard]] CollectionStats collection_stats(Database& db, std::size_t top);

/// Which duplicates: same bytes (MD5), same music (fingerprint, different bytes), or both.
enum class DupeKind : std::uint8_t { Bytes, Music, All };
struct DuplicateGroup {
  DupeKind kind;    ///< Bytes or Music
  std::string key;  ///< the MD5 or the fingerprint
  struct Member {
    std::string path, md5;
  };
  std::vector<Member> files;  ///< by path (music: by MD5, then path)
};
/// Groups from the views `byte_duplicates` and `musical_duplicates`, largest first. Throws `Error`.
[[nodiscard]] std::vector<DuplicateGroup> duplicate_groups(Database& db, DupeKind kind);

/// A row of the `loops` table of a present file, with the file's path.
struct LoopCandidateRow {
  std::string path;
  std::uint16_t track = 0;
  std::uint32_t start_bar = 1;  ///< bars numbered from 1, as people count them (`loops.start_bar` + 1)
  std::uint32_t bars = 0;
};
/// Loop candidates matching the SQL condition `where` over the columns path, track, start_bar
/// (numbered from 1), bars, repeats, notes, exact, drum, bpm (tempo-map mean, else the estimate) and
/// time_signature ('4/4' when the file has none); an empty `where` matches all. Sorted by path,
/// track, start bar, length; at most `limit` (0: all). A condition that could write, or more than
/// one statement, is refused. Throws `Error`.
[[nodiscard]] std::vector<LoopCandidateRow> loop_candidates(Database& db, std::string_view where, std::size_t limit);

/// What merge() did.
struct MergeSummary {
  std::uint64_t files = 0;     ///< rows of `files` copied from the shard
  std::uint64_t replaced = 0;  ///< rows of the target they replaced (the same path)
};
/// Merges the database `shard` (written by `midisift scan --shard I/N`, or any midisift database of
/// the same schema version) into `into`, in one transaction (ATTACH, SQLite's own copy): every row
/// of its `files` with its diagnostics, instruments and loops, under new row ids; a row for a path
/// already in `into` is replaced, so merging a shard again after it changed replaces its rows,
/// and merging the same shard twice changes nothing. A shard still being written, or left by a
/// killed scan, gives what it has committed. Throws `Error`, changing nothing, when `shard` does
/// not exist, is not a midisift database, or has another schema version than `into`.
MergeSummary merge(Database& into, const std::filesystem::path& shard);

/// A result row of `query`: each column as text, `std::nullopt` for SQL NULL. Valid only during
/// the callback.
using Row = std::span<const std::optional<std::string_view>>;
/// Runs one SQL statement with `params` bound as text to ?1, ?2, ... and calls `fn` per row. For
/// ad-hoc reads (tests, tools): a statement that could write, or more than one statement, is
/// refused. Throws `Error` naming the database.
void query(Database& db, std::string_view sql, std::span<const std::string> params,
           const std::function<void(Row)>& fn);

}  // namespace midisift::db
