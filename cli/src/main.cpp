// midisift: batch analysis of Standard MIDI File collections into SQLite.
//
// Exit status: 0 success; 1 an error (database, unreadable root or folder, or for `info` a file
// that failed); 2 bad usage; 130 `scan` interrupted by SIGINT or SIGTERM (finished work committed).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <sstream>
#include <nlohmann/json.hpp>

#include "file_job.hpp"
#include "midisift/db/database.hpp"
#include "midisift/parse/arena.hpp"
#include "clips.hpp"
#include "collection.hpp"
#include "report.hpp"
#include "scan.hpp"

namespace {

using namespace midisift;

// Set by SIGINT/SIGTERM; the scan's walk stage polls it. Lock-free, so safe in a signal handler.
std::atomic<bool> g_interrupt{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_interrupt(int /*signal*/) { g_interrupt.store(true); }

// The first SIGINT or SIGTERM asks the scan to stop after committing what is finished; the
// handler then resets to the default action, so a second one ends the process at once (the
// database stays consistent either way: every batch is one transaction).
void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// `stats` and `dupes` read a database: a missing one is an error, not a new empty database.
db::Database open_existing(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    throw db::Error("no database " + file.string() + " (create it with `midisift scan PATHS --db " + file.string() + "`)");
  }
  return db::Database(file);
}

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


int run(int argc, char** argv) {
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
  std::string io = "read";
  scan_cmd->add_option("--io", io,
                       "How files are brought in: read (safe if files change during the scan) or mmap "
                       "(zero copy; a file truncated mid-scan then kills the process with SIGBUS)")
      ->check(CLI::IsMember({"read", "mmap"}))
      ->capture_default_str();
  scan_cmd->add_flag("--strict", scan.strict, "Fail a file at its first repair instead of recovering");
  scan_cmd->add_flag("--rescan", scan.rescan,
                     "Analyse every file again; by default files whose path, size and modification time are "
                     "unchanged since the last scan are skipped");
  scan_cmd->add_flag("-q,--quiet", quiet, "No progress and no summary (warnings and errors still go to stderr)");
  scan_cmd->add_option("--progress-interval", scan.progress_interval_s,
                       "Seconds between progress lines when stderr is not a terminal (a terminal's bar is redrawn "
                       "10 times a second)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  std::filesystem::path stats_db = "midisift.db";
  auto* stats_cmd = app.add_subcommand("stats", "Print an overview of a scanned collection");
  stats_cmd->add_option("--db", stats_db, "SQLite database written by `midisift scan`")->capture_default_str();
  std::size_t stats_top = 12;
  stats_cmd->add_option("--top", stats_top, "Rows per category at most")->check(CLI::PositiveNumber)->capture_default_str();

  std::filesystem::path dupes_db = "midisift.db";
  std::string dupes_kind = "all";
  bool dupes_json = false;
  auto* dupes_cmd = app.add_subcommand(
      "dupes", "List duplicate groups: byte-identical files (same MD5) and musically identical files (same note "
               "fingerprint, different bytes)");
  dupes_cmd->add_option("--db", dupes_db, "SQLite database written by `midisift scan`")->capture_default_str();
  dupes_cmd->add_option("--kind", dupes_kind, "bytes, music or all")
      ->check(CLI::IsMember({"bytes", "music", "all"}))
      ->capture_default_str();
  dupes_cmd->add_flag("--json", dupes_json, "One JSON object per group, one per line (JSON Lines)");

  std::vector<std::filesystem::path> info_files;
  bool info_json = false;
  bool info_strict = false;
  auto* info_cmd = app.add_subcommand("info", "Print the facts of single MIDI files");
  info_cmd->add_option("files", info_files, "MIDI files")->required();
  info_cmd->add_flag("--json", info_json, "One JSON object per file, one per line (JSON Lines)");
  info_cmd->add_flag("--strict", info_strict, "Fail a file at its first repair instead of recovering");

  // clips: the looper's SD card.
  auto* clips_cmd = app.add_subcommand("clips", "Prepare and check clip libraries for the looper's SD card (firmware/FORMAT.md)");
  clips_cmd->require_subcommand(1);
  cli::ExportOptions clip_opts;
  std::filesystem::path export_file_arg;
  std::filesystem::path export_db;
  std::string export_where;
  std::string export_bars;
  std::string export_name;
  std::optional<unsigned> export_track;
  std::optional<unsigned> export_channel;
  std::size_t export_limit = 0;
  std::filesystem::path export_image;
  auto* export_cmd = clips_cmd->add_subcommand(
      "export", "Turn a segment of a MIDI file, or the loop candidates of a scanned collection, into clips on a card");
  export_cmd->add_option("file", export_file_arg, "MIDI file to cut a segment from");
  export_cmd->add_option("--track", export_track, "Track (MTrk chunk) to take, numbered from 0 as in the database");
  export_cmd->add_option("--channel", export_channel, "MIDI channel to take, 1-16 (10 is General MIDI drums)")
      ->check(CLI::Range(1U, 16U));
  export_cmd->add_option("--bars", export_bars, "Bars to take, A-B, numbered from 1, inclusive (e.g. 5-8)");
  export_cmd->add_option("--name", export_name, "Clip name (shown on the looper; the file name is derived from it)");
  export_cmd->add_option("--db", export_db, "Database written by `midisift scan`: export its loop candidates");
  export_cmd->add_option("--where", export_where,
                         "SQL condition on the loop candidates: path, track, start_bar (from 0), bars, repeats, notes, "
                         "exact, drum, bpm, time_signature; e.g. \"drum AND bars = 4 AND bpm BETWEEN 118 AND 122\"");
  export_cmd->add_option("--limit", export_limit, "Export at most this many candidates (0: all)")->capture_default_str();
  export_cmd->add_option("--out", clip_opts.card, "Folder that is the card's root (created if missing)")->required();
  export_cmd->add_option("--ppq", clip_opts.ppq, "Ticks per quarter note of the clips")
      ->check(CLI::Range(1, 32767))
      ->capture_default_str();
  export_cmd->add_flag("--long-names", clip_opts.long_names,
                       "Allow long file names (only if the looper's FatFs is built with FF_USE_LFN); default 8.3");
  export_cmd->add_flag("--replace", clip_opts.replace, "Overwrite a different clip of the same name (default: pick a new name)");
  export_cmd->add_option("--image", export_image, "Also build a FAT32 image of the card (mkfs.fat, mcopy)");
  std::filesystem::path ls_card;
  bool ls_json = false;
  auto* ls_cmd = clips_cmd->add_subcommand("ls", "List the clips of a card from its index");
  ls_cmd->add_option("card", ls_card, "Folder that is the card's root")->required();
  ls_cmd->add_flag("--json", ls_json, "One JSON object per clip (JSON Lines)");
  std::filesystem::path verify_card_arg;
  bool verify_long_names = false;
  auto* verify_cmd = clips_cmd->add_subcommand(
      "verify", "Check every file of a card: CRCs, events, index consistency, sessions, undo rings");
  verify_cmd->add_option("card", verify_card_arg, "Folder that is the card's root")->required();
  verify_cmd->add_flag("--long-names", verify_long_names, "Accept long file names (FF_USE_LFN)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    if (*scan_cmd) {
      scan.alloc = alloc == "heap" ? cli::AllocStrategy::Heap : cli::AllocStrategy::Arena;
      scan.access = io == "mmap" ? parse::Access::Map : parse::Access::Read;
      scan.progress = !quiet;
      scan.interrupt = &g_interrupt;
      install_interrupt_handler();
      cli::ScanSummary summary;
      try {
        summary = cli::run_scan(scan, std::cerr);
      } catch (const db::Error& e) {
        std::cerr << "midisift: " << e.what()
                  << "\nmidisift: scan stopped; fix the cause (disk space, permissions) and run the same command "
                     "again: files already stored are skipped\n";
        return 1;
      }
      if (!quiet) std::cout << cli::format_summary(summary) << '\n';
      if (summary.interrupted) {
        std::cerr << fmt::format(
            "midisift: interrupted; {} files analysed and committed to {}, the rest not yet scanned. Run the same "
            "command again to continue (unchanged files are skipped).\n",
            summary.files, scan.database.string());
        return 130;
      }
      return summary.walk_errors == 0 ? 0 : 1;
    }
    if (*info_cmd) return run_info(info_files, info_json, info_strict);
    if (*export_cmd) {
      int rc = 0;
      if (!export_db.empty()) {
        if (!export_file_arg.empty() || export_track || export_channel || !export_bars.empty()) {
          std::cerr << "midisift: clips export: give either FILE with --track/--channel and --bars, or --db with --where\n";
          return 2;
        }
        auto database = open_existing(export_db);
        rc = cli::export_from_db(database, export_where, export_limit, clip_opts, std::cout, std::cerr);
      } else {
        if (export_file_arg.empty() || export_bars.empty() || (!export_track && !export_channel)) {
          std::cerr << "midisift: clips export: FILE needs --bars A-B and --track N and/or --channel N "
                       "(or use --db DB --where CONDITION)\n";
          return 2;
        }
        cli::Selection sel;
        unsigned a = 0, b = 0;
        char dash = 0;
        std::istringstream bars(export_bars);
        if (!(bars >> a) || (bars >> dash && (dash != '-' || !(bars >> b)))) {
          std::cerr << "midisift: clips export: --bars wants A-B or A, e.g. 5-8\n";
          return 2;
        }
        sel.first_bar = a;
        sel.last_bar = dash == '-' ? b : a;
        if (export_track) sel.track = static_cast<std::uint16_t>(*export_track);
        if (export_channel) sel.channel = static_cast<std::uint8_t>(*export_channel - 1);
        rc = cli::export_file(export_file_arg, sel, clip_opts, export_name, std::cout, std::cerr);
      }
      if (rc != 1 && !export_image.empty()) {
        cli::build_fat_image(clip_opts.card, export_image);
        std::cout << "FAT32 image " << export_image.string() << '\n';
      }
      return rc;
    }
    if (*ls_cmd) return cli::list_card(ls_card, ls_json, std::cout, std::cerr);
    if (*verify_cmd) {
      std::error_code ec;
      if (!std::filesystem::is_directory(verify_card_arg, ec)) {
        std::cerr << "midisift: " << verify_card_arg.string() << ": no such folder (the card's root)\n";
        return 1;
      }
      const auto report = cli::verify_card(verify_card_arg, verify_long_names);
      for (const auto& p : report.problems) std::cerr << "midisift: " << verify_card_arg.string() << p << '\n';
      std::cout << fmt::format("{}: {} clips, {} sessions, {} undo snapshots; {} problem{}\n", verify_card_arg.string(),
                               report.clips, report.sessions, report.undo_snapshots, report.problems.size(),
                               report.problems.size() == 1 ? "" : "s");
      return report.problems.empty() ? 0 : 1;
    }
    if (*stats_cmd) {
      auto database = open_existing(stats_db);
      cli::print_stats(database, std::cout, stats_top);
      return 0;
    }
    if (*dupes_cmd) {
      auto database = open_existing(dupes_db);
      const auto kind = dupes_kind == "bytes"   ? cli::DupeKind::Bytes
                        : dupes_kind == "music" ? cli::DupeKind::Music
                                                : cli::DupeKind::All;
      (void)cli::print_dupes(database, kind, dupes_json, std::cout);
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "midisift: " << e.what() << '\n';
    return 1;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Anything that escapes run() (the argument parser's own setup included) is an error message and
  // exit status 1, never std::terminate.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fputs("midisift: ", stderr);
    std::fputs(e.what(), stderr);
    std::fputc('\n', stderr);
  } catch (...) {
    std::fputs("midisift: unknown error\n", stderr);
  }
  return 1;
}
