// RAII over SQLite's C API, the shape SQLiteCpp gives it: a prepared `Statement` finalized by its
// destructor, a `Transaction` rolled back unless committed, typed binds and column reads, and every
// step's result checked and turned into `db::Error` naming the database. Private to the db library.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "midisift/db/database.hpp"
#include "midisift/scan/columns.hpp"

namespace midisift::db::detail {

/// The connection behind a Database (the public header keeps it out of reach).
struct Access {
  static sqlite3* handle(const Database& db) noexcept { return db.db_; }
};

/// SQLite's message for the connection's last error, with the database's name: "what (database
/// F): message".
[[nodiscard]] std::string message(const Database& db, std::string_view what);

/// A prepared statement. Move-only; finalized on destruction (also when a constructor further up
/// throws half-way). Text and blobs are bound SQLITE_TRANSIENT (copied), so temporaries may be passed.
class Statement {
 public:
  /// Prepares `sql` (one statement). `persistent`: kept for the life of a writer (SQLite's hint
  /// SQLITE_PREPARE_PERSISTENT). Throws Error.
  Statement(const Database& db, std::string_view sql, bool persistent = false);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  /// Binds parameter `index` (from 1).
  void bind_null(int index);
  void bind(int index, std::int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view text);
  void bind(int index, const scan::Value& value);
  template <class T>
  void bind(int index, const std::optional<T>& value) {
    value ? bind(index, *value) : bind_null(index);
  }

  /// Runs one step and returns SQLite's result code (SQLITE_ROW, SQLITE_DONE or an error), for
  /// callers that report errors their own way.
  [[nodiscard]] int step_code() noexcept;
  /// Runs one step: true when a row is ready, false when done. Throws Error naming `what`.
  bool step(std::string_view what = "query failed");
  /// Runs a statement that returns no rows, then resets it for the next use. Throws Error.
  void run(std::string_view what);
  /// Ready for a new step with the same or new bindings; bindings are kept.
  void reset() noexcept;
  void clear_bindings() noexcept;

  [[nodiscard]] int columns() const noexcept;
  [[nodiscard]] bool is_null(int column) const noexcept;
  [[nodiscard]] std::int64_t int64(int column) const noexcept;
  [[nodiscard]] double real(int column) const noexcept;
  /// Text of the column; valid until the next step, reset or the statement's end. "" for NULL.
  [[nodiscard]] std::string_view text(int column) const noexcept;
  [[nodiscard]] std::optional<std::int64_t> optional_int64(int column) const noexcept;
  [[nodiscard]] std::optional<std::string_view> optional_text(int column) const noexcept;

  /// The statement cannot write (sqlite3_stmt_readonly), and `sql` held nothing after it.
  [[nodiscard]] bool read_only_single() const noexcept;

 private:
  const Database* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool trailing_ = false;  ///< `sql` went on past the first statement
};

/// BEGIN (or BEGIN IMMEDIATE) on construction, ROLLBACK on destruction unless `commit()` ran.
class Transaction {
 public:
  enum class Kind : std::uint8_t { Deferred, Immediate };
  explicit Transaction(Database& db, Kind kind = Kind::Deferred);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  /// COMMIT. Throws Error; the destructor then rolls back.
  void commit();
  /// ROLLBACK now (errors ignored: SQLite may have rolled back already).
  void rollback() noexcept;

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace midisift::db::detail
