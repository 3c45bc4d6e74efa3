// `midisift scan`: walk, then a oneTBB parallel_pipeline (serial in-order walk and incremental
// check, parallel read + parse + analyze, serial out-of-order SQLite writer), with progress on stderr.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "midisift/parse/input_file.hpp"
#include "shard.hpp"

namespace midisift::cli {

enum class AllocStrategy : std::uint8_t { Arena, Heap };

struct ScanOptions {
  std::vector<std::filesystem::path> roots;
  std::filesystem::path database = "midisift.db";
  unsigned jobs = 0;  ///< worker threads; 0 = all hardware threads
  AllocStrategy alloc = AllocStrategy::Arena;
  parse::Access access = parse::Access::Read;  ///< Read: safe against files truncated mid-scan
  bool strict = false;
  bool rescan = false;    ///< analyze every file, also those unchanged since the last scan
  /// Only this part of the files (scan --shard I/N); the database then holds that part alone.
  std::optional<Shard> shard;
  bool progress = true;   ///< progress on stderr: a bar on a terminal, else a line every `progress_interval_s`
  double progress_interval_s = 10;
  /// Set (e.g. by a SIGINT handler) to stop the walk: files in flight are finished and
  /// committed, the rest is left for the next scan. Null: not interruptible.
  const std::atomic<bool>* interrupt = nullptr;
};

struct ScanSummary {
  std::uint64_t files = 0, ok = 0, recovered = 0, failed = 0;  ///< files analyzed by this scan
  std::uint64_t unchanged = 0;  ///< skipped: same path, size and modification time as stored
  std::uint64_t missing = 0;    ///< rows newly marked missing: listed before, not found now
  std::uint64_t vanished = 0;   ///< listed by this walk, gone before they could be read
  std::uint64_t bytes = 0;      ///< bytes of the files analyzed
  std::uint64_t walk_errors = 0;  ///< roots or folders that could not be read
  bool interrupted = false;
  std::map<std::string, std::uint64_t> recovered_by_repair;  ///< diagnostic code -> files with it
  std::map<std::string, std::uint64_t> failed_by_reason;     ///< error code -> files
  double seconds = 0;
  double writer_seconds = 0;      ///< wall time spent in the SQLite writer stage (serial)
  double writer_cpu_seconds = 0;  ///< CPU time of the writer stage (its thread's clock)
  double peak_rss_mb = 0;     ///< the process's peak resident memory (VmHWM), MB
};

/// The roots as paths are stored: absolute and lexically normal (no ".", "..", repeated or trailing
/// separators; symbolic links are not resolved), so that `a.mid`, `./a.mid` and `/abs/a.mid` are
/// one row. Throws std::runtime_error naming a root that does not exist.
[[nodiscard]] std::vector<std::filesystem::path> canonical_roots(const std::vector<std::filesystem::path>& roots);

/// Runs the scan. Every file found gets a row, failed ones included; unchanged files keep theirs.
/// Paths are stored as canonical_roots() spells the roots. Throws std::runtime_error, before the
/// database is opened, when a root does not exist, and `db::Error` when the database cannot be
/// opened or written: batches committed before the error are kept. Warnings (unreadable folders,
/// vanished files) go to `warnings`.
[[nodiscard]] ScanSummary run_scan(const ScanOptions& options, std::ostream& warnings);

/// "files 4645, ok 4613, recovered 29, failed 3, unchanged 0, missing 0, 98.6 MB, 0.34 s, 13739
/// files/s, 291.7 MB/s, peak RSS 21.3 MB, writer busy 9% of wall time (7% on CPU)", then a line each for the
/// recovered and failed counts by reason.
[[nodiscard]] std::string format_summary(const ScanSummary& s);

}  // namespace midisift::cli
