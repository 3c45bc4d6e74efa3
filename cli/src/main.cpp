// midisift: batch analysis of Standard MIDI File collections into SQLite.
//
// Exit status: 0 success; 1 an error (database, unreadable root or folder, or for `info` a file
// that failed); 2 bad usage; 130 `scan` interrupted by SIGINT or SIGTERM (finished work committed).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>
#include <nlohmann/json.hpp>

#include "clips.hpp"
#include "collection.hpp"
#include "report.hpp"
#include "midisift/db/database.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/scan/columns.hpp"
#include "midisift/scan/file_result.hpp"
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

// `stats`, `dupes` and `clips export --db` read a database: opened read-only, so that nothing is
// created, migrated or written.
db::Database open_existing(const std::filesystem::path& file) { return db::Database(file, db::Database::Mode::Read); }

// What the user can do about a database error, from SQLite's or midisift's message.
std::string_view hint_for(std::string_view message) {
  const auto has = [&](std::string_view w) { return message.find(w) != std::string_view::npos; };
  if (has("not a midisift database")) return "choose another --db";
  if (has("is a directory")) return "--db names a folder: give a file name";
  if (has("newer than this midisift")) return "use the newer midisift that wrote it";
  if (has("full") || has("disk I/O")) return "disk space";
  if (has("readonly") || has("read-only") || has("ermission") || has("unable to open")) return "permissions";
  if (has("not a database")) return "the file is not an SQLite database: choose another --db";
  return "see above";
}

// Option checks whose messages read as people write ranges ("must be at least 1").
CLI::Validator at_least(long long low) {
  return {
      [low](std::string& s) -> std::string {
        try {
          std::size_t used = 0;
          const long long v = std::stoll(s, &used);
          if (used == s.size() && v >= low) return {};
        } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): reported below
        }
        return fmt::format("must be a whole number, at least {} (got '{}')", low, s);
      },
      fmt::format("INT >= {}", low)};
}
CLI::Validator positive_seconds() {
  return {
      [](std::string& s) -> std::string {
        try {
          std::size_t used = 0;
          const double v = std::stod(s, &used);
          if (used == s.size() && v > 0 && v < 1e9) return {};
        } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): reported below
        }
        return fmt::format("must be a number of seconds greater than 0 (got '{}')", s);
      },
      "SECONDS > 0"};
}

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The first word that is not an option names a subcommand of `app`; when it names none, a message
// with the nearest one ("unknown subcommand 'scna'; did you mean 'scan'?"). Empty when fine.
std::string check_subcommand(const CLI::App& app, int argc, char** argv, int at, std::string_view context) {
  if (at >= argc || argv[at][0] == '-') return {};
  const std::string_view word = argv[at];
  std::string nearest;
  std::size_t best = 3;  // suggest within two edits
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == word) return {};
    const auto d = edit_distance(word, sub->get_name());
    if (d < best) {
      best = d;
      nearest = sub->get_name();
    }
  }
  std::string msg = fmt::format("midisift: unknown {}subcommand '{}'", context, word);
  msg += nearest.empty() ? "; `midisift --help` lists them" : fmt::format("; did you mean '{}'?", nearest);
  return msg;
}

int run_info(const std::vector<std::filesystem::path>& files, bool json, bool strict) {
  int status = 0;
  parse::Arena arena;
  scan::FileJob job;
  std::string standard_input;  // `info -`: the bytes must outlive the job's views
  for (const auto& path : files) {
    if (path == "-") {
      standard_input.assign(std::istreambuf_iterator<char>(std::cin), {});
      job.clear();
      job.result = scan::FileResult{};
      job.result.path = "-";
      job.analyze(std::as_bytes(std::span(standard_input.data(), standard_input.size())), &arena,
                  parse::ParseOptions{strict});
    } else {
      job.run(path, &arena, parse::ParseOptions{strict});
    }
    if (job.vanished()) {
      std::cerr << fmt::format("midisift: {}: no such file\n", path.string());
      status = 1;
      continue;
    }
    if (job.result.status == parse::ParseStatus::Failed) {
      std::cerr << fmt::format("midisift: {}: {}: {}\n", path.string(), job.result.error_code, job.result.error);
      status = 1;
    }
    if (json) {
      // File names need not be UTF-8: invalid bytes become U+FFFD rather than an exception.
      std::cout << scan::to_json(job.result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      std::cout << scan::to_text(job.result);
    }
    job.clear();
    arena.reset();
  }
  return status;
}

// --- scan ------------------------------------------------------------------------------------

struct ScanArgs {
  cli::ScanOptions options;
  std::string alloc = "arena";
  std::string io = "read";
  std::string shard;
  bool quiet = false;
};

CLI::App* add_scan(CLI::App& app, ScanArgs& a) {
  auto* cmd = app.add_subcommand("scan", "Walk folders of MIDI files and write every fact to an SQLite database");
  auto& scan = a.options;
  cmd->add_option("paths", scan.roots, "Files or folders (.mid .midi .kar .rmi .smf, any case)")->required();
  cmd->add_option("--db", scan.database, "SQLite database to create or update")->capture_default_str();
  cmd->add_option("-j,--jobs", scan.jobs, "Worker threads (default: all hardware threads)")
      ->check(CLI::Range(1U, 1024U));
  cmd->add_option("--alloc", a.alloc, "Parser memory: arena (monotonic, reused) or heap (new/delete)")
      ->check(CLI::IsMember({"arena", "heap"}))
      ->capture_default_str();
  cmd->add_option("--io", a.io,
                  "How files are brought in: read (safe if files change during the scan) or mmap "
                  "(zero copy; a file truncated mid-scan then kills the process with SIGBUS)")
      ->check(CLI::IsMember({"read", "mmap"}))
      ->capture_default_str();
  cmd->add_flag("--strict", scan.strict, "Fail a file at its first repair instead of recovering");
  cmd->add_flag("--rescan", scan.rescan,
                "Analyze every file again; by default files whose path, size and modification time are "
                "unchanged since the last scan are skipped");
  cmd->add_option("--shard", a.shard,
                  "Scan only part I of N (0 <= I < N) of the files, split by a hash of each file's path relative "
                  "to its root: N jobs of a cluster's scheduler each scan one part into a database of their own, "
                  "and `midisift merge` joins them (docs/cluster.md)")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            return cli::Shard::parse(s) ? std::string() : "must be I/N with 0 <= I < N, e.g. 3/64 (got '" + s + "')";
          },
          "I/N"));
  cmd->add_flag("-q,--quiet", a.quiet, "No progress and no summary (warnings and errors still go to stderr)");
  cmd->add_option("--progress-interval", scan.progress_interval_s,
                  "Seconds between progress lines when stderr is not a terminal (a terminal's bar is redrawn "
                  "10 times a second)")
      ->check(positive_seconds())
      ->capture_default_str();
  return cmd;
}

int run_scan(ScanArgs& a) {
  auto& scan = a.options;
  scan.alloc = a.alloc == "heap" ? cli::AllocStrategy::Heap : cli::AllocStrategy::Arena;
  scan.access = a.io == "mmap" ? parse::Access::Map : parse::Access::Read;
  scan.progress = !a.quiet;
  if (!a.shard.empty()) scan.shard = cli::Shard::parse(a.shard);
  scan.interrupt = &g_interrupt;
  install_interrupt_handler();
  cli::ScanSummary summary;
  try {
    summary = cli::run_scan(scan, std::cerr);
  } catch (const db::Error& e) {
    std::cerr << "midisift: " << e.what() << "\nmidisift: scan stopped; fix the cause (" << hint_for(e.what())
              << ") and run the same command again: files already stored are skipped\n";
    return 1;
  }
  if (!a.quiet) std::cout << cli::format_summary(summary) << '\n';
  if (summary.interrupted) {
    std::cerr << fmt::format(
        "midisift: interrupted; {} files analyzed and committed to {}, the rest not yet scanned. Run the same "
        "command again to continue (unchanged files are skipped).\n",
        summary.files, scan.database.string());
    return 130;
  }
  return summary.walk_errors == 0 ? 0 : 1;
}

// --- stats, dupes, info ------------------------------------------------------------------------

struct StatsArgs {
  std::filesystem::path db = "midisift.db";
  std::size_t top = 12;
  bool json = false;
};

CLI::App* add_stats(CLI::App& app, StatsArgs& a) {
  auto* cmd = app.add_subcommand("stats", "Print an overview of a scanned collection");
  cmd->add_option("--db", a.db, "SQLite database written by `midisift scan`")->capture_default_str();
  cmd->add_option("--top", a.top, "Rows per category at most")->check(at_least(1))->capture_default_str();
  cmd->add_flag("--json", a.json, "One JSON object instead of lines for people");
  return cmd;
}

int run_stats(const StatsArgs& a) {
  auto database = open_existing(a.db);
  if (a.json) {
    std::cout << cli::stats_json(database, a.top).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
  } else {
    cli::print_stats(database, std::cout, a.top);
  }
  return 0;
}

struct DupesArgs {
  std::filesystem::path db = "midisift.db";
  std::string kind = "all";
  bool json = false;
};

CLI::App* add_dupes(CLI::App& app, DupesArgs& a) {
  auto* cmd = app.add_subcommand(
      "dupes", "List duplicate groups: byte-identical files (same MD5) and musically identical files (same note "
               "fingerprint, different bytes)");
  cmd->add_option("--db", a.db, "SQLite database written by `midisift scan`")->capture_default_str();
  cmd->add_option("--kind", a.kind, "bytes, music or all")
      ->check(CLI::IsMember({"bytes", "music", "all"}))
      ->capture_default_str();
  cmd->add_flag("--json", a.json, "One JSON object per group, one per line (JSON Lines)");
  return cmd;
}

int run_dupes(const DupesArgs& a) {
  auto database = open_existing(a.db);
  const auto kind = a.kind == "bytes"   ? db::DupeKind::Bytes
                    : a.kind == "music" ? db::DupeKind::Music
                                        : db::DupeKind::All;
  (void)cli::print_dupes(database, kind, a.json, std::cout);
  return 0;
}

struct InfoArgs {
  std::vector<std::filesystem::path> files;
  bool json = false;
  bool strict = false;
};

CLI::App* add_info(CLI::App& app, InfoArgs& a) {
  auto* cmd = app.add_subcommand("info", "Print the facts of single MIDI files");
  cmd->add_option("files", a.files, "MIDI files")->required();
  cmd->add_flag("--json", a.json, "One JSON object per file, one per line (JSON Lines)");
  cmd->add_flag("--strict", a.strict, "Fail a file at its first repair instead of recovering");
  return cmd;
}

// --- report ------------------------------------------------------------------------------------

struct ReportArgs {
  std::filesystem::path db = "midisift.db";
  std::filesystem::path out = "report.html";
  std::string title;
};

CLI::App* add_report(CLI::App& app, ReportArgs& a) {
  auto* cmd = app.add_subcommand(
      "report", "Write one self-contained HTML page with charts of a scanned collection (opens offline)");
  cmd->add_option("--db", a.db, "SQLite database written by `midisift scan`")->capture_default_str();
  cmd->add_option("--out", a.out, "HTML file to write")->capture_default_str();
  cmd->add_option("--title", a.title, "Title of the page (default: the database's file name)");
  return cmd;
}

int run_report(const ReportArgs& a) {
  auto database = open_existing(a.db);
  std::ostringstream page;
  cli::write_report(database, a.title.empty() ? a.db.filename().string() : a.title, page);
  // Written whole, then renamed into place: an interrupted report never leaves half a page.
  const auto tmp = std::filesystem::path(a.out.string() + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary);
    f << page.str();
    if (!f.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, a.out);
  std::cout << fmt::format("{}: {:.0f} KB\n", a.out.string(), static_cast<double>(page.str().size()) / 1024);
  return 0;
}

// --- merge -------------------------------------------------------------------------------------

struct MergeArgs {
  std::vector<std::filesystem::path> shards;
  std::filesystem::path into;
};

CLI::App* add_merge(CLI::App& app, MergeArgs& a) {
  auto* cmd = app.add_subcommand("merge",
                                 "Merge databases (the shards of `scan --shard I/N`) into one: every row and its "
                                 "diagnostics, instruments and loops; a row for a path already there is replaced");
  cmd->add_option("shards", a.shards, "Databases written by `midisift scan`")->required();
  cmd->add_option("--into", a.into, "Database to create or update")->required();
  return cmd;
}

int run_merge(const MergeArgs& a) {
  db::Database into(a.into);
  int status = 0;
  std::uint64_t files = 0;
  for (const auto& shard : a.shards) {
    try {
      const auto m = db::merge(into, shard);
      files += m.files;
      std::cout << fmt::format("merged {}: {} files ({} replaced rows already there)\n", shard.string(), m.files,
                               m.replaced);
    } catch (const db::Error& e) {
      std::cerr << "midisift: " << e.what() << '\n';
      status = 1;
    }
  }
  const auto counts = db::count_status(into);
  std::cout << fmt::format("{}: {} files merged from {} databases; it holds {} files\n", a.into.string(), files,
                           a.shards.size(), counts.files);
  return status;
}

// --- clips ---------------------------------------------------------------------------------------

struct ExportArgs {
  clipexport::ExportOptions options;
  std::filesystem::path file;
  std::filesystem::path db;
  std::string where;
  std::string bars;
  std::string name;
  std::optional<unsigned> track;
  std::optional<unsigned> channel;
  std::size_t limit = 0;
  std::filesystem::path image;
};

CLI::App* add_export(CLI::App& clips, ExportArgs& a) {
  auto* cmd = clips.add_subcommand(
      "export", "Turn a segment of a MIDI file, or the loop candidates of a scanned collection, into clips on a card");
  cmd->add_option("file", a.file, "MIDI file to cut a segment from");
  cmd->add_option("--track", a.track, "Track (MTrk chunk) to take, numbered from 0 as in the database");
  cmd->add_option("--channel", a.channel, "MIDI channel to take, 1-16 (10 is General MIDI drums)")
      ->check(CLI::Range(1U, 16U));
  cmd->add_option("--bars", a.bars, "Bars to take, A-B, numbered from 1, inclusive (e.g. 5-8)");
  cmd->add_option("--name", a.name, "Clip name (shown on the looper; the file name is derived from it)");
  cmd->add_option("--db", a.db, "Database written by `midisift scan`: export its loop candidates");
  cmd->add_option("--where", a.where,
                  "SQL condition on the loop candidates: path, track, start_bar (from 1), bars, repeats, notes, "
                  "exact, drum, bpm, time_signature; e.g. \"drum AND bars = 4 AND bpm BETWEEN 118 AND 122\"");
  cmd->add_option("--limit", a.limit, "Export at most this many candidates (0: all)")->capture_default_str();
  cmd->add_option("--out", a.options.card, "Folder that is the card's root (created if missing)")->required();
  cmd->add_option("--ppq", a.options.ppq, "Ticks per quarter note of the clips")
      ->check(CLI::Range(1, 32767))
      ->capture_default_str();
  cmd->add_flag("--long-names", a.options.long_names,
                "Allow long file names (only if the looper's FatFs is built with FF_USE_LFN); default 8.3");
  cmd->add_flag("--replace", a.options.replace,
                "Overwrite a different clip of the same name (default: pick a new name)");
  cmd->add_option("--image", a.image, "Also build a FAT32 image of the card (mkfs.fat, mcopy)");
  return cmd;
}

int run_export(const ExportArgs& a) {
  int rc = 0;
  if (!a.db.empty()) {
    if (!a.file.empty() || a.track || a.channel || !a.bars.empty()) {
      std::cerr << "midisift: clips export: give either FILE with --track/--channel and --bars, or --db with --where\n";
      return 2;
    }
    auto database = open_existing(a.db);
    rc = cli::export_from_db(database, a.where, a.limit, a.options, std::cout, std::cerr);
  } else {
    if (a.file.empty() || a.bars.empty() || (!a.track && !a.channel)) {
      std::cerr << "midisift: clips export: FILE needs --bars A-B and --track N and/or --channel N "
                   "(or use --db DB --where CONDITION)\n";
      return 2;
    }
    clipexport::Selection sel;
    unsigned first = 0, last = 0;
    char dash = 0;
    std::istringstream bars(a.bars);
    if (!(bars >> first) || (bars >> dash && (dash != '-' || !(bars >> last))) || !bars.eof()) {
      std::cerr << "midisift: clips export: --bars wants A-B or A, e.g. 5-8\n";
      return 2;
    }
    sel.first_bar = first;
    sel.last_bar = dash == '-' ? last : first;
    if (sel.first_bar == 0 || sel.last_bar < sel.first_bar) {
      std::cerr << fmt::format("midisift: clips export: --bars {}: bars are numbered from 1, A-B with A <= B\n", a.bars);
      return 2;
    }
    if (a.track) sel.track = static_cast<std::uint16_t>(*a.track);
    if (a.channel) sel.channel = static_cast<std::uint8_t>(*a.channel - 1);
    rc = cli::export_file(a.file, sel, a.options, a.name, std::cout, std::cerr);
  }
  if (rc != 1 && !a.image.empty()) {
    clipexport::build_fat_image(a.options.card, a.image);
    std::cout << "FAT32 image " << a.image.string() << '\n';
  }
  return rc;
}

struct CardArgs {
  std::filesystem::path card;
  bool json = false;
  bool long_names = false;
};

CLI::App* add_ls(CLI::App& clips, CardArgs& a) {
  auto* cmd = clips.add_subcommand("ls", "List the clips of a card from its index");
  cmd->add_option("card", a.card, "Folder that is the card's root")->required();
  cmd->add_flag("--json", a.json, "One JSON object per clip (JSON Lines)");
  return cmd;
}

CLI::App* add_verify(CLI::App& clips, CardArgs& a) {
  auto* cmd = clips.add_subcommand(
      "verify", "Check every file of a card: CRCs, events, index consistency, sessions, undo rings");
  cmd->add_option("card", a.card, "Folder that is the card's root")->required();
  cmd->add_flag("--long-names", a.long_names, "Accept long file names (FF_USE_LFN)");
  return cmd;
}

int run_verify(const CardArgs& a) {
  std::error_code ec;
  if (!std::filesystem::is_directory(a.card, ec)) {
    std::cerr << "midisift: " << a.card.string() << ": no such folder (the card's root)\n";
    return 1;
  }
  const auto report = clipexport::verify_card(a.card, a.long_names);
  for (const auto& p : report.problems) std::cerr << "midisift: " << a.card.string() << p << '\n';
  std::cout << fmt::format("{}: {} clips, {} sessions, {} undo snapshots; {} problem{}\n", a.card.string(),
                           report.clips, report.sessions, report.undo_snapshots, report.problems.size(),
                           report.problems.size() == 1 ? "" : "s");
  return report.problems.empty() ? 0 : 1;
}

int run(int argc, char** argv) {
  CLI::App app{"midisift: fast, lenient analysis of Standard MIDI File collections into SQLite"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "midisift " MIDISIFT_VERSION);

  ScanArgs scan_args;
  StatsArgs stats_args;
  DupesArgs dupes_args;
  InfoArgs info_args;
  ExportArgs export_args;
  MergeArgs merge_args;
  ReportArgs report_args;
  CardArgs ls_args, verify_args;
  auto* scan_cmd = add_scan(app, scan_args);
  auto* stats_cmd = add_stats(app, stats_args);
  auto* dupes_cmd = add_dupes(app, dupes_args);
  auto* info_cmd = add_info(app, info_args);
  auto* merge_cmd = add_merge(app, merge_args);
  auto* report_cmd = add_report(app, report_args);
  auto* clips_cmd =
      app.add_subcommand("clips", "Prepare and check clip libraries for the looper's SD card (firmware/FORMAT.md)");
  clips_cmd->require_subcommand(1);
  auto* export_cmd = add_export(*clips_cmd, export_args);
  auto* ls_cmd = add_ls(*clips_cmd, ls_args);
  auto* verify_cmd = add_verify(*clips_cmd, verify_args);

  // A bare `midisift` prints the help (what the subcommands are), still exiting 2: it did no work
  // (issue 32; as git, which prints its usage and fails).
  if (argc <= 1) {
    std::cout << app.help();
    return 2;
  }
  // A misspelt subcommand names the word and the nearest subcommand (CLI11 would only say that an
  // argument was not expected).
  std::string unknown = check_subcommand(app, argc, argv, 1, "");
  if (unknown.empty() && argc > 1 && std::string_view(argv[1]) == "clips") {
    unknown = check_subcommand(*clips_cmd, argc, argv, 2, "clips ");
  }
  if (!unknown.empty()) {
    std::cerr << unknown << '\n';
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    if (*scan_cmd) return run_scan(scan_args);
    if (*info_cmd) return run_info(info_args.files, info_args.json, info_args.strict);
    if (*export_cmd) return run_export(export_args);
    if (*ls_cmd) return cli::list_card(ls_args.card, ls_args.json, std::cout, std::cerr);
    if (*verify_cmd) return run_verify(verify_args);
    if (*stats_cmd) return run_stats(stats_args);
    if (*merge_cmd) return run_merge(merge_args);
    if (*report_cmd) return run_report(report_args);
    if (*dupes_cmd) return run_dupes(dupes_args);
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
