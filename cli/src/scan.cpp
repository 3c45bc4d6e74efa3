#include "scan.hpp"

#include <tbb/concurrent_queue.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <ostream>
#include <thread>

#include "file_job.hpp"
#include "midisift/db/database.hpp"
#include "midisift/parse/arena.hpp"
#include "walk.hpp"

namespace midisift::cli {

namespace {

using Clock = std::chrono::steady_clock;

// A pipeline token: the file in flight and the arena its parse allocates from. The arena belongs
// to the token, not to a thread, because the writer stage reads what the parse stage allocated.
struct Token {
  std::filesystem::path path;
  parse::Arena arena;
  FileJob job;
};

// Tokens in flight per worker: enough to keep the parallel stage busy while the serial stages run
// (oneTBB's parallel_pipeline guidance: a small multiple of the thread count).
constexpr unsigned kTokensPerThread = 4;

// Peak resident set of this process from /proc/self/status (VmHWM, kB). Unlike getrusage's
// ru_maxrss it belongs to the current address space, so a parent's size does not leak in
// through exec. 0 where /proc is not there.
double peak_rss_mb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  double kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmHWM: %lf kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb / 1024.0;
}

}  // namespace

std::string format_summary(const ScanSummary& s) {
  const double mb = static_cast<double>(s.bytes) / 1e6;
  const double secs = s.seconds > 0 ? s.seconds : 1e-9;
  return fmt::format(
      "files {}, ok {}, recovered {}, failed {}, {:.1f} MB, {:.2f} s, {:.0f} files/s, {:.1f} MB/s, peak RSS {:.1f} MB",
      s.files, s.ok, s.recovered, s.failed, mb, s.seconds, static_cast<double>(s.files) / secs, mb / secs,
      s.peak_rss_mb);
}

ScanSummary run_scan(const ScanOptions& options, std::ostream& warnings) {
  const auto start = Clock::now();
  const unsigned jobs = options.jobs != 0 ? options.jobs : std::max(1U, std::thread::hardware_concurrency());
  const unsigned ntokens = jobs * kTokensPerThread;

  db::Database database(options.database);
  db::Writer writer(database);
  Walker walker(options.roots, [&](const std::string& w) { warnings << "midisift: " << w << '\n'; });

  std::vector<std::unique_ptr<Token>> tokens;
  tbb::concurrent_queue<Token*> free_tokens;
  for (unsigned i = 0; i < ntokens; ++i) {
    tokens.push_back(std::make_unique<Token>());
    free_tokens.push(tokens.back().get());
  }
  const parse::ParseOptions parse_options{options.strict};
  const bool use_arena = options.alloc == AllocStrategy::Arena;
  const bool show_progress = options.progress && ::isatty(STDERR_FILENO) != 0;

  ScanSummary summary;
  auto last_progress = start;

  tbb::task_arena arena(static_cast<int>(jobs));
  arena.execute([&] {
    tbb::parallel_pipeline(
        ntokens,
        tbb::make_filter<void, Token*>(tbb::filter_mode::serial_in_order,
                                       [&](tbb::flow_control& fc) -> Token* {
                                         auto path = walker.next();
                                         if (!path) {
                                           fc.stop();
                                           return nullptr;
                                         }
                                         Token* t = nullptr;
                                         // ntokens tokens exist and at most ntokens are in flight.
                                         while (!free_tokens.try_pop(t)) std::this_thread::yield();
                                         t->path = std::move(*path);
                                         return t;
                                       }) &
            tbb::make_filter<Token*, Token*>(tbb::filter_mode::parallel,
                                             [&](Token* t) {
                                               std::pmr::memory_resource* mr =
                                                   use_arena ? static_cast<std::pmr::memory_resource*>(&t->arena)
                                                             : std::pmr::new_delete_resource();
                                               try {
                                                 t->job.run(t->path, mr, parse_options);
                                               } catch (const std::exception& e) {
                                                 // Out of memory or a digest failure: this file
                                                 // fails, the batch goes on.
                                                 t->job.clear();
                                                 t->job.record.status = db::FileStatus::Failed;
                                                 t->job.record.error_code = "internal_error";
                                                 t->job.record.error = e.what();
                                                 t->job.record.facts.reset();
                                               }
                                               return t;
                                             }) &
            tbb::make_filter<Token*, void>(tbb::filter_mode::serial_in_order, [&](Token* t) {
              const auto& r = t->job.record;
              writer.add(r);
              ++summary.files;
              summary.bytes += r.size_bytes;
              switch (r.status) {
                case db::FileStatus::Ok: ++summary.ok; break;
                case db::FileStatus::Recovered: ++summary.recovered; break;
                case db::FileStatus::Failed: ++summary.failed; break;
              }
              t->job.clear();
              if (use_arena) t->arena.reset();
              free_tokens.push(t);
              if (show_progress) {
                const auto now = Clock::now();
                if (now - last_progress > std::chrono::milliseconds(200)) {
                  last_progress = now;
                  const double secs = std::chrono::duration<double>(now - start).count();
                  std::fprintf(stderr, "\r%llu files, %.1f MB, %.0f files/s, %llu failed",
                               static_cast<unsigned long long>(summary.files),
                               static_cast<double>(summary.bytes) / 1e6, static_cast<double>(summary.files) / secs,
                               static_cast<unsigned long long>(summary.failed));
                }
              }
            }));
  });
  writer.flush();
  if (show_progress) std::fprintf(stderr, "\r\033[K");
  summary.walk_errors = walker.errors();
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  summary.peak_rss_mb = peak_rss_mb();
  return summary;
}

}  // namespace midisift::cli
