#include "scan.hpp"

#include <sys/stat.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <condition_variable>
#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include <vector>

#include "midisift/scan/file_result.hpp"
#include "midisift/db/database.hpp"
#include "midisift/parse/arena.hpp"
#include "prior_scan.hpp"
#include "tsan.hpp"
#include "walk.hpp"

namespace midisift::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU time of the calling thread, seconds: what the writer stage costs, without the time its
// thread spends descheduled on a busy machine.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A pipeline token: the file in flight and the arena its parse allocates from. The arena belongs
// to the token, not to a thread, because the writer stage reads what the parse stage allocated.
struct Token {
  std::filesystem::path path;
  parse::Arena arena;
  scan::FileJob job;
};

// The tokens not in flight: pushed by the writer stage when it is done with a file, popped by the
// walk stage for the next one. A mutex and a vector rather than a lock-free queue: one push and one
// pop per file cost nothing next to parsing it, and every hand-off is plain to ThreadSanitizer
// (oneTBB's concurrent_queue recycles its pages through uninstrumented code).
class FreeTokens {
 public:
  void push(Token* t) {
    const std::lock_guard lock(mutex_);
    tokens_.push_back(t);
  }
  /// A free token, or nullptr when all are in flight.
  Token* try_pop() {
    const std::lock_guard lock(mutex_);
    if (tokens_.empty()) return nullptr;
    Token* t = tokens_.back();
    tokens_.pop_back();
    return t;
  }

 private:
  std::mutex mutex_;
  std::vector<Token*> tokens_;
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

// Counters the pipeline updates and the progress thread reads.
struct Counters {
  std::atomic<std::uint64_t> done{0};   // analyzed + unchanged + vanished
  std::atomic<std::uint64_t> bytes{0};  // of the analyzed files
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> total{0};  // files the counting walk found; valid once total_known
  std::atomic<bool> total_known{false};
};

// Orders the successive calls of a serial pipeline stage for ThreadSanitizer (tsan.hpp): each call
// starts after the previous one ended, whichever threads oneTBB ran them on.
class SerialStage {
 public:
  explicit SerialStage(const void* stage) noexcept : stage_(stage) { tsan_acquire(stage_); }
  ~SerialStage() { tsan_release(stage_); }
  SerialStage(const SerialStage&) = delete;
  SerialStage& operator=(const SerialStage&) = delete;

 private:
  const void* stage_;
};

std::string format_eta(double seconds) {
  const long long s = std::llround(seconds);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

// Progress on stderr, from its own thread so that it keeps ticking while a large file is in the
// parallel stage. On a terminal: one line rewritten in place (a bar once the total is known);
// elsewhere (a log file, CI): a plain line every `interval`.
class Progress {
 public:
  Progress(const Counters& c, Clock::time_point start, bool tty, double interval_s)
      : c_(c), start_(start), tty_(tty),
        // A bar is redrawn often (10 times a second, or faster if asked); log lines every interval.
        interval_(std::chrono::milliseconds(
            static_cast<long long>(std::max(0.01, tty ? std::min(0.1, interval_s) : interval_s) * 1000))),
        thread_([this](const std::stop_token& st) { loop(st); }) {}
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() {
    thread_.request_stop();
    thread_.join();
    if (tty_) std::fputs("\r\033[K", stderr);
  }

 private:
  void loop(const std::stop_token& st) {
    std::mutex m;
    std::unique_lock lock(m);
    while (!cv_.wait_for(lock, st, interval_, [] { return false; }) && !st.stop_requested()) print();
  }
  void print() const {
    const double secs = std::max(1e-9, seconds_since(start_));
    const auto done = c_.done.load();
    const auto mb = static_cast<double>(c_.bytes.load()) / 1e6;
    const auto failed = c_.failed.load();
    const bool known = c_.total_known.load();
    const auto total = std::max(c_.total.load(), done);
    const double rate = static_cast<double>(done) / secs;
    std::string eta = "?";
    if (known && rate > 0) eta = format_eta(static_cast<double>(total - done) / rate);
    if (tty_) {
      std::string head;
      if (known && total > 0) {
        constexpr int kWidth = 24;
        const double frac = static_cast<double>(done) / static_cast<double>(total);
        const int fill = static_cast<int>(frac * kWidth);
        head = fmt::format("[{}{}] {:3.0f}% {}/{} files", std::string(static_cast<std::size_t>(fill), '#'),
                           std::string(static_cast<std::size_t>(kWidth - fill), '.'), frac * 100, done, total);
      } else {
        head = fmt::format("{} files (counting)", done);
      }
      std::fprintf(stderr, "\r%s  %.1f MB/s  %.0f files/s  ETA %s  failed %llu\033[K", head.c_str(), mb / secs, rate,
                   eta.c_str(), static_cast<unsigned long long>(failed));
    } else {
      const std::string of = known ? fmt::format("/{}", total) : std::string();
      std::fprintf(stderr, "midisift: progress %llu%s files, %.1f MB/s, %.0f files/s, ETA %s, %llu failed\n",
                   static_cast<unsigned long long>(done), of.c_str(), mb / secs, rate, eta.c_str(),
                   static_cast<unsigned long long>(failed));
    }
    std::fflush(stderr);
  }

  const Counters& c_;
  Clock::time_point start_;
  bool tty_;
  std::chrono::milliseconds interval_;
  std::condition_variable_any cv_;
  std::jthread thread_;
};

// The size and modification time the walk stage compares with the stored row; nothing when the
// path cannot be stat()ed (the parse stage then records why).
struct Stat {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};
std::optional<Stat> stat_file(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return Stat{static_cast<std::uint64_t>(st.st_size),
              static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::string by_reason(const std::map<std::string, std::uint64_t>& m) {
  std::vector<std::pair<std::string, std::uint64_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string s;
  for (const auto& [reason, n] : v) {
    if (!s.empty()) s += ", ";
    s += fmt::format("{} {}", reason, n);
  }
  return s;
}

}  // namespace

std::vector<std::filesystem::path> canonical_roots(const std::vector<std::filesystem::path>& roots) {
  std::vector<std::filesystem::path> out;
  for (const auto& root : roots) {
    std::error_code ec;
    (void)std::filesystem::symlink_status(root, ec);
    if (ec) throw std::runtime_error(fmt::format("{}: no such file or folder ({})", root.string(), ec.message()));
    auto p = std::filesystem::absolute(root, ec).lexically_normal();
    if (ec) throw std::runtime_error(fmt::format("{}: {}", root.string(), ec.message()));
    if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();  // "a/b/" -> "a/b"
    out.push_back(std::move(p));
  }
  return out;
}

std::string format_summary(const ScanSummary& s) {
  const double mb = static_cast<double>(s.bytes) / 1e6;
  const double secs = s.seconds > 0 ? s.seconds : 1e-9;
  std::string out = fmt::format(
      "files {}, ok {}, recovered {}, failed {}, unchanged {}, missing {}, {:.1f} MB, {:.2f} s, {:.0f} files/s, "
      "{:.1f} MB/s, peak RSS {:.1f} MB, writer busy {:.0f}% of wall time ({:.0f}% on CPU)",
      s.files, s.ok, s.recovered, s.failed, s.unchanged, s.missing, mb, s.seconds, static_cast<double>(s.files) / secs,
      mb / secs, s.peak_rss_mb, 100 * s.writer_seconds / secs, 100 * s.writer_cpu_seconds / secs);
  if (s.vanished > 0) out += fmt::format(", vanished during the scan {}", s.vanished);
  if (!s.recovered_by_repair.empty()) out += "\nrecovered, files by repair: " + by_reason(s.recovered_by_repair);
  if (!s.failed_by_reason.empty()) out += "\nfailed, files by reason: " + by_reason(s.failed_by_reason);
  return out;
}

ScanSummary run_scan(const ScanOptions& options, std::ostream& warnings) {
  const auto start = Clock::now();
  const unsigned jobs = options.jobs != 0 ? options.jobs : std::max(1U, std::thread::hardware_concurrency());
  const unsigned ntokens = jobs * kTokensPerThread;

  // The walk stage and the writer stage are both serial but may run at once on two threads.
  std::mutex warn_mutex;
  auto warn = [&](const std::string& w) {
    const std::lock_guard lock(warn_mutex);
    warnings << "midisift: " << w << '\n' << std::flush;
  };

  const auto roots = canonical_roots(options.roots);
  db::Database database(options.database);
  PriorScan prior(database, roots, options.shard);
  db::Writer writer(database);
  Walker walker(roots, warn, options.shard);

  std::vector<std::unique_ptr<Token>> tokens;
  FreeTokens free_tokens;
  for (unsigned i = 0; i < ntokens; ++i) {
    tokens.push_back(std::make_unique<Token>());
    free_tokens.push(tokens.back().get());
  }
  const parse::ParseOptions parse_options{options.strict};
  const bool use_arena = options.alloc == AllocStrategy::Arena;

  ScanSummary summary;
  Counters counters;
  // The total for the progress display comes from a second, cheap walk (names only, no stat) run
  // beside the scan, so the scan itself never waits for the count.
  std::optional<std::jthread> counter;
  std::optional<Progress> progress;
  if (options.progress) {
    counter.emplace([&](const std::stop_token& st) {
      Walker count_walk(roots, nullptr, options.shard);
      std::uint64_t n = 0;
      while (!st.stop_requested() && count_walk.next()) ++n;
      counters.total = n;
      counters.total_known = !st.stop_requested();
    });
    progress.emplace(counters, start, ::isatty(STDERR_FILENO) != 0, options.progress_interval_s);
  }

  auto interrupted = [&] { return options.interrupt != nullptr && options.interrupt->load(); };

  // However parallel_pipeline ends (an exception from a stage included), it has waited for every
  // stage call; say so to ThreadSanitizer (tsan.hpp) before this thread touches their objects again.
  auto pipeline_joined = [&] {
    tsan_acquire(&walker);
    tsan_acquire(&writer);
    for (const auto& t : tokens) tsan_acquire(t.get());
  };
  tbb::task_arena arena(static_cast<int>(jobs));
  const TsanArenaEntry arena_entry(arena);
  try {
    arena.execute([&] {
      const tbb::filter<void, void> pipeline =
          tbb::make_filter<void, Token*>(
              tbb::filter_mode::serial_in_order,
              [&](tbb::flow_control& fc) -> Token* {
                const SerialStage order(&walker);
                for (;;) {
                  if (interrupted()) {
                    summary.interrupted = true;
                    fc.stop();
                    return nullptr;
                  }
                  auto path = walker.next();
                  if (!path) {
                    fc.stop();
                    return nullptr;
                  }
                  PriorScan::Entry* known = prior.find(path->native());
                  if (known != nullptr && !options.rescan) {
                    const auto st = stat_file(*path);
                    if (st && PriorScan::unchanged(*known, st->size, st->mtime_ns)) {
                      ++summary.unchanged;
                      ++counters.done;
                      continue;
                    }
                  }
                  Token* t = nullptr;
                  // ntokens tokens exist and at most ntokens are in flight.
                  while ((t = free_tokens.try_pop()) == nullptr) std::this_thread::yield();
                  tsan_acquire(t);
                  t->path = std::move(*path);
                  tsan_release(t);
                  return t;
                }
              }) &
              tbb::make_filter<Token*, Token*>(tbb::filter_mode::parallel,
                                               [&](Token* t) {
                                                 tsan_acquire(t);
                                                 std::pmr::memory_resource* mr =
                                                     use_arena ? static_cast<std::pmr::memory_resource*>(&t->arena)
                                                               : std::pmr::new_delete_resource();
                                                 try {
                                                   t->job.run(t->path, mr, parse_options, options.access);
                                                 } catch (const std::exception& e) {
                                                   // Out of memory or a digest failure: this file
                                                   // fails, the batch goes on.
                                                   t->job.clear();
                                                   t->job.result.status = parse::ParseStatus::Failed;
                                                   t->job.result.error_code = "internal_error";
                                                   t->job.result.error = e.what();
                                                   t->job.result.facts.reset();
                                                 }
                                                 tsan_release(t);
                                                 return t;
                                               }) &
              // Out of order: rows are keyed by path, so the writer takes each file as it is ready
              // and one large file does not hold back the small ones finished after it.
              tbb::make_filter<Token*, void>(tbb::filter_mode::serial_out_of_order, [&](Token* t) {
                const SerialStage order(&writer);
                tsan_acquire(t);
                const auto writer_start = Clock::now();
                const double writer_cpu_start = thread_cpu_seconds();
                const auto& r = t->job.result;
                if (t->job.vanished()) {
                  // Deleted or renamed since the walk listed it: not part of the collection any
                  // more. An earlier row for it is marked missing, no new row is made.
                  warn(r.path + ": vanished during the scan (deleted or renamed after it was listed)");
                  writer.mark_missing(r.path);
                  ++summary.vanished;
                } else {
                  writer.add(r);
                  ++summary.files;
                  summary.bytes += r.size_bytes;
                  counters.bytes += r.size_bytes;
                  switch (r.status) {
                    case parse::ParseStatus::Ok: ++summary.ok; break;
                    case parse::ParseStatus::Recovered: {
                      ++summary.recovered;
                      // A file counts once per kind of repair, however often it was made.
                      std::vector<std::string_view> codes;
                      for (const auto& d : r.diagnostics) codes.push_back(parse::to_string(d.code));
                      std::sort(codes.begin(), codes.end());
                      codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
                      for (const auto c : codes) ++summary.recovered_by_repair[std::string(c)];
                      break;
                    }
                    case parse::ParseStatus::Failed:
                      ++summary.failed;
                      ++counters.failed;
                      ++summary.failed_by_reason[r.error_code];
                      break;
                  }
                }
                ++counters.done;
                t->job.clear();
                if (use_arena) t->arena.reset();
                tsan_release(t);
                free_tokens.push(t);
                summary.writer_seconds += seconds_since(writer_start);
                summary.writer_cpu_seconds += thread_cpu_seconds() - writer_cpu_start;
              });
      tsan_release(&tsan_pipeline_built);  // the filters are built (TsanArenaEntry)
      tbb::parallel_pipeline(ntokens, pipeline);
    });
  } catch (...) {
    pipeline_joined();
    throw;
  }
  pipeline_joined();
  counter.reset();
  progress.reset();

  const auto writer_start = Clock::now();
  const double writer_cpu_start = thread_cpu_seconds();
  // Rows under the roots that this walk did not find are marked missing: only after a complete
  // walk, since an interrupted one has not looked everywhere.
  if (!summary.interrupted) {
    for (const auto id : prior.unseen(database, roots, walker.unreadable())) {
      writer.mark_missing(id);
      ++summary.missing;
    }
  }
  writer.flush();
  summary.writer_seconds += seconds_since(writer_start);
  summary.writer_cpu_seconds += thread_cpu_seconds() - writer_cpu_start;
  summary.walk_errors = walker.errors();
  summary.seconds = seconds_since(start);
  summary.peak_rss_mb = peak_rss_mb();
  return summary;
}

}  // namespace midisift::cli
