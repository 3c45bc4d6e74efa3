// What earlier scans stored about the files under the roots of this one: the basis of incremental
// scanning (skip files whose path, size and modification time are unchanged and whose row the
// current analysis wrote; mark rows whose file is gone).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "midisift/db/database.hpp"
#include "midisift/scan/file_result.hpp"
#include "shard.hpp"

namespace midisift::cli {

/// The byte string under which a root's files are stored: the root as given, without trailing
/// slashes ("corpus/" and "corpus" walk the same files, "corpus/a.mid" either way).
[[nodiscard]] std::string root_key(const std::filesystem::path& root);

/// Rows of `files` under a set of roots, compact (48 bytes a row, a 128-bit XXH3 of the path in
/// place of the path) so that a million-file collection costs ~50 MB, not its paths.
class PriorScan {
 public:
  struct Entry {
    std::uint64_t hash_lo = 0, hash_hi = 0;  ///< XXH3-128 of the path bytes
    std::int64_t id = 0;                     ///< `files.id`
    std::uint64_t size_bytes = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t analysis_version = 0;  ///< 0 for NULL (a row written before schema 7)
    bool has_mtime = false;
    bool missing = false;  ///< already marked missing by an earlier scan
    bool seen = false;     ///< found by this scan's walk
  };

  /// Reads the rows under each root (`db::for_each_file_under`), with `shard` only those of that
  /// part (the rows of other parts are neither compared nor marked missing). Throws `db::Error`.
  PriorScan(db::Database& database, const std::vector<std::filesystem::path>& roots,
            std::optional<Shard> shard = std::nullopt);

  /// The row stored for `path`, or null. Marks it seen.
  Entry* find(std::string_view path) noexcept;
  /// True when `e` describes a file of this size and modification time, is not marked missing and
  /// was written by this release's analysis (`scan::kAnalysisVersion`): the stored facts still hold.
  [[nodiscard]] static bool unchanged(const Entry& e, std::uint64_t size_bytes, std::int64_t mtime_ns) noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  /// Rows not found by this scan's walk and not yet marked missing, leaving out those under
  /// `unreadable_folders` (the walk could not look there, so the files may well still exist).
  /// Re-reads the paths from `database`, since only their hashes are kept. Throws `db::Error`.
  [[nodiscard]] std::vector<std::int64_t> unseen(db::Database& database, const std::vector<std::filesystem::path>& roots,
                                                 const std::vector<std::string>& unreadable_folders);

 private:
  std::vector<Entry> entries_;
};

}  // namespace midisift::cli
