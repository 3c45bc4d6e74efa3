// Reports over a scanned collection, read from the database: `midisift stats` and `midisift dupes`.
// Both read the views of db/SCHEMA.md, so what they print is one SELECT away for anyone else.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>

#include "midisift/db/database.hpp"

namespace midisift::cli {

/// The collection overview: files by status, format, estimated key, tempo band, time signature
/// and General MIDI instrument family; total duration; duplicates; repairs and failures by code.
/// Counts cover present files (not those marked missing). `top`: rows per category at most.
void print_stats(db::Database& database, std::ostream& out, std::size_t top = 12);

/// The same overview as one JSON object (`stats --json`): `database`, `files`, `missing`,
/// `megabytes`, `music_hours`, `timed_files`, `duplicates` {byte_groups, redundant_copies,
/// musical_groups}, and for `status`, `format`, `estimated_key`, `tempo_band`, `time_signature`,
/// `instrument_families`, `repairs`, `failures` an array of {value (null for none), files}, in the
/// order of the text.
[[nodiscard]] nlohmann::json stats_json(db::Database& database, std::size_t top = 12);

/// Groups of duplicates: byte duplicates (same MD5, view `byte_duplicates`) and musical duplicates
/// (same note fingerprint, more than one distinct MD5, view `musical_duplicates`), largest groups
/// first. Text: a header line per group and its paths indented; JSON Lines: one object per group
/// `{"kind": "bytes"|"music", "key": md5|fingerprint, "files": [{"path", "md5"}...]}`.
/// Returns the number of groups printed.
std::uint64_t print_dupes(db::Database& database, db::DupeKind kind, bool json, std::ostream& out);

}  // namespace midisift::cli
