// `midisift clips`: the command-line side of clip export (clipexport/): arguments in, what was
// written out. Cutting, saving, verifying and imaging live in midisift::clipexport.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "midisift/clipexport/clip_export.hpp"

namespace midisift::db {
class Database;
}

namespace midisift::cli {

/// `clips export FILE`: one clip. Prints what was written to `out`, problems to `err`; returns 0,
/// or 1 when the segment could not be exported.
int export_file(const std::filesystem::path& midi, const clipexport::Selection& selection,
                const clipexport::ExportOptions& options, const std::string& name, std::ostream& out,
                std::ostream& err);

/// `clips export --db`: one clip per loop candidate matching the SQL condition `where`
/// (db::loop_candidates). Returns 0, or 1 when some candidates could not be exported (each named
/// on `err`) or none matched.
int export_from_db(db::Database& database, const std::string& where, std::size_t limit,
                   const clipexport::ExportOptions& options, std::ostream& out, std::ostream& err);

/// `clips ls`: the index, one clip a line (or JSON Lines).
int list_card(const std::filesystem::path& card, bool json, std::ostream& out, std::ostream& err);

}  // namespace midisift::cli
