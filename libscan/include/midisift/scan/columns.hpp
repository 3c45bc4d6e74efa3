// The columns of the database's `files` table, described once: name, SQL type, unit, meaning and
// how to read the value from a `FileResult`. The database's CREATE/ALTER TABLE and INSERT, the
// JSON of `midisift info --json`, the text of `midisift info` and the column list of db/SCHEMA.md
// are all generated from this table, so a new per-file fact is one line here plus its computation.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "midisift/scan/file_result.hpp"

namespace midisift::scan {

/// How a column is stored. `Json` is SQL TEXT holding a JSON array (SQLite's json_each reads it);
/// `info --json` gives the array itself.
enum class ColumnType : std::uint8_t { Integer, Real, Text, Json };

/// SQL's name of the storage class: "INTEGER", "REAL", "TEXT" (also for Json).
[[nodiscard]] std::string_view sql_type(ColumnType type) noexcept;

/// One value: SQL NULL (std::monostate), INTEGER, REAL or TEXT (JSON text for ColumnType::Json).
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

/// One column of `files`.
struct Column {
  std::string_view name;
  ColumnType type;
  std::string_view constraints;  ///< SQL after the type in CREATE TABLE, e.g. "NOT NULL UNIQUE"; may be empty
  int since;                     ///< the schema version (`PRAGMA user_version`) that added it
  std::string_view unit;         ///< "ticks", "seconds", "BPM", "bytes", ...; empty when none applies
  std::string_view meaning;      ///< one line for people (SCHEMA.md), with the source of the rule
  /// The value of a file's result; nullptr for columns the database fills (`id`, `scanned_at`,
  /// `missing_since`).
  Value (*value)(const FileResult& result);
  /// How `midisift info` shows a value to people, where that differs from the stored value
  /// (channels 1-16, note names beside MIDI note numbers); nullptr: the value as stored.
  std::string (*text)(const FileResult& result) = nullptr;
};

/// Every column of `files`, in table order (the order of a database created at the newest schema,
/// and of one migrated from any older schema: columns only ever get appended).
[[nodiscard]] std::span<const Column> file_columns() noexcept;

/// The result as one JSON object: a key per column that has a `value` (JSON null for SQL NULL,
/// the array itself for Json columns), plus `estimated_key` (e.g. "A minor"), `instruments`,
/// `loops`, `key_regions` and `chords` (arrays of objects named as those tables' columns) and
/// `diagnostics` (array of {code, track, offset}; track null for file-level repairs).
[[nodiscard]] nlohmann::json to_json(const FileResult& result);

/// The result as indented "name: value" lines for a terminal: the path, every column that has a
/// value (in table order, reals to 6 significant digits, `Column::text` where given), then the
/// estimated key with its runner-up, instruments by name (channels 1-16), loops (bars from 1) and
/// repairs. People count channels 1-16 and bars from 1; the database and `info --json` keep the
/// stored numbering (channels 0-15, `loops.start_bar` from 0).
[[nodiscard]] std::string to_text(const FileResult& result);

/// The column list of db/SCHEMA.md: a Markdown table (column, type, unit, since, meaning).
[[nodiscard]] std::string columns_markdown();

}  // namespace midisift::scan
