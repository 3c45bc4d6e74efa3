// One file through map, parse, analyse: shared by `scan` (one job per pipeline token) and `info`.
#pragma once

#include <filesystem>
#include <memory_resource>
#include <optional>
#include <span>

#include "midisift/analyze/facts.hpp"
#include "midisift/db/database.hpp"
#include "midisift/parse/input_file.hpp"
#include "midisift/parse/smf.hpp"

namespace midisift::cli {

/// The file in flight. `record` views `smf`'s diagnostics, which live in the memory resource
/// given to `run`: keep that resource alive until `clear()`.
struct FileJob {
  parse::InputFile input;
  std::optional<parse::Smf> smf;
  db::FileRecord record;

  /// Reads (or maps), parses and analyses `path`; never throws for a bad file (the record says
  /// failed, with `error_code` "vanished" when the path no longer exists).
  void run(const std::filesystem::path& path, std::pmr::memory_resource* mr, const parse::ParseOptions& options,
           parse::Access access = parse::Access::Read);
  /// The part of `run` after the file is read: parses and analyses `bytes` (which must outlive
  /// the job's use of `smf` and `record`) into `smf` and `record`, leaving `record.path` and
  /// `record.mtime_ns` as they are. Never throws for bad input.
  void analyse(std::span<const std::byte> bytes, std::pmr::memory_resource* mr, const parse::ParseOptions& options);
  /// The last `run` found the path gone (deleted or renamed since the walk listed it).
  [[nodiscard]] bool vanished() const noexcept { return vanished_; }
  /// Drops the parse result and unmaps the file. Call before resetting the memory resource.
  void clear() noexcept;

 private:
  bool vanished_ = false;
};

}  // namespace midisift::cli
