// What one file yields (`FileResult`), and the job that reads, parses and analyzes one file
// (`FileJob`): shared by `midisift scan` (one job per pipeline token), `midisift info`, the
// database writer and the fuzzers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>

#include "midisift/analyze/facts.hpp"
#include "midisift/analyze/music.hpp"
#include "midisift/parse/diagnostic.hpp"
#include "midisift/parse/input_file.hpp"
#include "midisift/parse/smf.hpp"

namespace midisift::scan {

/// The version of what a scan computes from a file's bytes, stored in every row
/// (`files.analysis_version`). Raised by every release that changes any fact of any file (a
/// repair, a column's rule, an estimator), so that `midisift scan` analyses a file again when its
/// row holds an older version (or none: rows written before schema 7), even though the file's
/// size and modification time are unchanged. 1: the first version stored (2026-11-30, when
/// `beat_bpm` became the median notated beat). 2: `estimated_bpm` of performances from onsets
/// weighted by learned beat salience. 3: chords segmented by bar, half bar or beat
/// (`segment_chords`), and the diminished seventh in their vocabulary. 4: the grid's phase
/// (`grid_offset_ticks`): NOMML and `expressive` on the shifted grid, beats and bars on it (bars
/// from the harmony where the notation's are out of phase), chords by a beat-synchronous HMM
/// (`track_chords`), `estimated_bpm` of a quantised file at its notated beat where the onsets
/// agree, and the beat grid stored (`beat_seconds`, `downbeat_seconds`).
inline constexpr std::int64_t kAnalysisVersion = 4;

/// The result of one file: one row of the database's `files` table (its columns are described
/// once, in columns.hpp), plus its `diagnostics`, `instruments` and `loops` rows.
struct FileResult {
  std::string path;                      ///< as walked (relative or absolute, as given on the command line)
  std::uint64_t size_bytes = 0;
  std::optional<std::int64_t> mtime_ns;  ///< modification time, nanoseconds since the Unix epoch
  std::string md5;                       ///< hex; empty when the bytes could not be read
  parse::ParseStatus status = parse::ParseStatus::Failed;
  std::string error_code;                ///< `parse::to_string(Fatal)`, e.g. "not_midi"; empty unless failed
  std::string error;                     ///< a sentence naming the problem; empty unless failed
  bool riff = false;                     ///< the SMF was inside a RIFF RMID wrapper
  std::optional<analyze::FileFacts> facts;  ///< absent for failed files
  /// Absent for failed files. Its vectors and strings live in the memory resource of the analysis:
  /// valid until that resource is reset.
  std::optional<analyze::MusicalFacts> music;
  /// Repairs; a view into the parse result, valid while the `FileJob` that made it keeps it.
  std::span<const parse::Diagnostic> diagnostics;
};

/// The file in flight. `result` views `smf`'s diagnostics and the analysis's storage, which live
/// in the memory resource given to `run`: keep that resource alive until `clear()`.
struct FileJob {
  parse::InputFile input;
  std::optional<parse::Smf> smf;
  FileResult result;

  /// Reads (or maps), parses and analyzes `path`; never throws for a bad file (the result says
  /// failed, with `error_code` "vanished" when the path no longer exists).
  void run(const std::filesystem::path& path, std::pmr::memory_resource* mr, const parse::ParseOptions& options,
           parse::Access access = parse::Access::Read);
  /// The part of `run` after the file is read: parses and analyzes `bytes` (which must outlive
  /// the job's use of `smf` and `result`) into `smf` and `result`, leaving `result.path` and
  /// `result.mtime_ns` as they are. Never throws for bad input.
  void analyze(std::span<const std::byte> bytes, std::pmr::memory_resource* mr, const parse::ParseOptions& options);
  /// The last `run` found the path gone (deleted or renamed since the walk listed it).
  [[nodiscard]] bool vanished() const noexcept { return vanished_; }
  /// Drops the parse result and unmaps the file. Call before resetting the memory resource.
  void clear() noexcept;

 private:
  bool vanished_ = false;
};

}  // namespace midisift::scan
