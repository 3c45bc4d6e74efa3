// midisift: batch analysis of Standard MIDI File collections into SQLite.
//
// Exit status: 0 success; 1 an error (database, unreadable root, or for `info` a file that
// failed); 2 bad usage.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>

#include "file_job.hpp"
#include "midisift/db/database.hpp"
#include "midisift/parse/arena.hpp"
#include "report.hpp"
#include "scan.hpp"

namespace {

using namespace midisift;

int run_info(const std::vector<std::filesystem::path>& files, bool json, bool strict) {
  int status = 0;
  parse::Arena arena;
  cli::FileJob job;
  for (const auto& path : files) {
    job.run(path, &arena, parse::ParseOptions{strict});
    if (job.record.status == db::FileStatus::Failed) {
      std::cerr << fmt::format("midisift: {}: {}: {}\n", path.string(), job.record.error_code, job.record.error);
      status = 1;
    }
    if (json) {
      // File names need not be UTF-8: invalid bytes become U+FFFD rather than an exception.
      std::cout << cli::to_json(job.record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      std::cout << cli::to_text(job.record);
    }
    job.clear();
    arena.reset();
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"midisift: fast, lenient analysis of Standard MIDI File collections into SQLite"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "midisift 0.1.0");

  cli::ScanOptions scan;
  std::string alloc = "arena";
  bool quiet = false;
  auto* scan_cmd = app.add_subcommand("scan", "Walk folders of MIDI files and write every fact to an SQLite database");
  scan_cmd->add_option("paths", scan.roots, "Files or folders (.mid .midi .kar .rmi .smf, any case)")->required();
  scan_cmd->add_option("--db", scan.database, "SQLite database to create or update")->capture_default_str();
  scan_cmd->add_option("-j,--jobs", scan.jobs, "Worker threads (default: all hardware threads)")
      ->check(CLI::Range(1U, 1024U));
  scan_cmd->add_option("--alloc", alloc, "Parser memory: arena (monotonic, reused) or heap (new/delete)")
      ->check(CLI::IsMember({"arena", "heap"}))
      ->capture_default_str();
  scan_cmd->add_flag("--strict", scan.strict, "Fail a file at its first repair instead of recovering");
  scan_cmd->add_flag("-q,--quiet", quiet, "No progress line and no summary");

  std::vector<std::filesystem::path> info_files;
  bool info_json = false;
  bool info_strict = false;
  auto* info_cmd = app.add_subcommand("info", "Print the facts of single MIDI files");
  info_cmd->add_option("files", info_files, "MIDI files")->required();
  info_cmd->add_flag("--json", info_json, "One JSON object per file, one per line (JSON Lines)");
  info_cmd->add_flag("--strict", info_strict, "Fail a file at its first repair instead of recovering");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    if (*scan_cmd) {
      scan.alloc = alloc == "heap" ? cli::AllocStrategy::Heap : cli::AllocStrategy::Arena;
      scan.progress = !quiet;
      const auto summary = cli::run_scan(scan, std::cerr);
      if (!quiet) std::cout << cli::format_summary(summary) << '\n';
      return summary.walk_errors == 0 ? 0 : 1;
    }
    if (*info_cmd) return run_info(info_files, info_json, info_strict);
  } catch (const std::exception& e) {
    std::cerr << "midisift: " << e.what() << '\n';
    return 1;
  }
  return 2;
}
