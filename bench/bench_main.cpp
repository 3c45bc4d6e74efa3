// midisift-bench: arena against heap parsing over a real corpus, with I/O-only baselines in the
// same run so that every figure reads as a ratio (bench/report.py prints the ratios).
//
//   midisift-bench [CORPUS_DIR] [--benchmark_* flags]
//
// CORPUS_DIR defaults to $MIDISIFT_CORPUS, else ../shared/corpus. Files are preloaded into memory
// except by the I/O suites (BM_IoMapTouch, BM_IoReadTouch) and the end-to-end scan, which spawns
// the real `midisift` binary from the same folder as this one.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory_resource>
#include <span>
#include <string>
#include <vector>

#include "midisift/analyze/facts.hpp"
#include "midisift/analyze/music.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/parse/input_file.hpp"
#include "midisift/parse/smf.hpp"
#include "walk.hpp"

#if MIDISIFT_HAVE_MINIMIDI
#include <minimidi/MiniMidi.hpp>
#endif

extern char** environ;

namespace {

namespace fs = std::filesystem;
using namespace midisift;

// Size classes (file bytes): the seeds of this project claimed the arena pays only for large files.
enum SizeClass : int { kSmall = 0, kMedium = 1, kLarge = 2, kAll = 3 };
constexpr std::array<const char*, 4> kClassNames = {"lt4KB", "4to64KB", "gt64KB", "all"};

struct File {
  fs::path path;
  std::vector<std::byte> bytes;
};

struct Corpus {
  fs::path root;
  std::vector<File> files;
  std::array<std::vector<const File*>, 4> by_class;
  std::array<std::uint64_t, 4> bytes{};
};

Corpus& corpus() {
  static Corpus c;
  return c;
}

void load(const fs::path& root) {
  Corpus& c = corpus();
  c.root = root;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || !cli::has_midi_extension(e.path()) || e.file_size() == 0) continue;
    File f{e.path(), std::vector<std::byte>(e.file_size())};
    std::ifstream in(e.path(), std::ios::binary);
    in.read(reinterpret_cast<char*>(f.bytes.data()), static_cast<std::streamsize>(f.bytes.size()));
    c.files.push_back(std::move(f));
  }
  for (const auto& f : c.files) {
    const auto n = f.bytes.size();
    const int k = n < 4096 ? kSmall : n <= 65536 ? kMedium : kLarge;
    c.by_class[static_cast<std::size_t>(k)].push_back(&f);
    c.by_class[kAll].push_back(&f);
    c.bytes[static_cast<std::size_t>(k)] += n;
    c.bytes[kAll] += n;
  }
}

void set_class_label(benchmark::State& state, int k) {
  state.SetLabel(kClassNames[static_cast<std::size_t>(k)]);
  state.counters["files"] = static_cast<double>(corpus().by_class[static_cast<std::size_t>(k)].size());
}

// ---- I/O-only baselines ----------------------------------------------------------------------

void BM_IoMapTouch(benchmark::State& state) {
  std::uint64_t sum = 0;
  for (auto _ : state) {
    for (const auto& f : corpus().files) {
      parse::InputFile in;
      parse::OpenError err;
      if (!in.open(f.path, err)) continue;
      for (std::byte b : in.bytes()) sum += std::to_integer<unsigned>(b);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes[kAll]));
}
BENCHMARK(BM_IoMapTouch)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_IoReadTouch(benchmark::State& state) {
  std::vector<std::byte> buffer;
  std::uint64_t sum = 0;
  for (auto _ : state) {
    for (const auto& f : corpus().files) {
      const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      buffer.resize(f.bytes.size());
      const auto got = ::read(fd, buffer.data(), buffer.size());
      ::close(fd);
      for (ssize_t i = 0; i < got; ++i) sum += std::to_integer<unsigned>(buffer[static_cast<std::size_t>(i)]);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes[kAll]));
}
BENCHMARK(BM_IoReadTouch)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- parse: one code path, three memory resources --------------------------------------------

// Arena: `parse::Arena` (monotonic over a retained buffer), reset after each file.
struct Arena {
  parse::Arena arena;
  std::pmr::memory_resource* resource() { return &arena; }
  void after_file() { arena.reset(); }
  [[nodiscard]] std::uint64_t upstream_allocations() const { return arena.upstream_allocations(); }
  [[nodiscard]] std::uint64_t reserved_bytes() const { return arena.capacity(); }
};

// Heap: plain new/delete through the same pmr interface, the idiomatic baseline (vectors
// reserved from the track length, grown when needed, freed when the file is done).
struct Heap {
  std::pmr::memory_resource* resource() { return std::pmr::new_delete_resource(); }
  void after_file() {}
};

// The heap again, counted, for the memory suite only (the count costs a little time).
struct HeapCounted {
  parse::CountingResource counting{std::pmr::new_delete_resource()};
  std::pmr::memory_resource* resource() { return &counting; }
  void after_file() {}
  [[nodiscard]] std::uint64_t upstream_allocations() const { return counting.allocations(); }
  [[nodiscard]] std::uint64_t reserved_bytes() const { return counting.peak_bytes_in_use(); }
};

// Pool: std::pmr::unsynchronized_pool_resource kept across files.
struct Pool {
  parse::CountingResource counting{std::pmr::new_delete_resource()};
  std::pmr::unsynchronized_pool_resource pool{&counting};
  std::pmr::memory_resource* resource() { return &pool; }
  void after_file() {}
  [[nodiscard]] std::uint64_t upstream_allocations() const { return counting.allocations(); }
  [[nodiscard]] std::uint64_t reserved_bytes() const { return counting.peak_bytes_in_use(); }
};

template <class Strategy>
void BM_Parse(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const auto& files = corpus().by_class[static_cast<std::size_t>(k)];
  Strategy strategy;
  std::uint64_t events = 0;
  for (auto _ : state) {
    for (const File* f : files) {
      {
        const parse::Smf smf = parse::parse(f->bytes, strategy.resource());
        events += smf.event_count();
        benchmark::DoNotOptimize(smf.tracks().data());
      }
      strategy.after_file();
    }
  }
  set_class_label(state, k);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes[static_cast<std::size_t>(k)]));
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
}
BENCHMARK_TEMPLATE(BM_Parse, Arena)->DenseRange(kSmall, kAll)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Parse, Heap)->DenseRange(kSmall, kAll)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Parse, Pool)->DenseRange(kSmall, kAll)->Unit(benchmark::kMillisecond)->UseRealTime();

#if MIDISIFT_HAVE_MINIMIDI
// ---- a peer in the same run: minimidi (github lzqlzzq/minimidi, the parser under symusic) -------

// The files both parsers read: minimidi throws on some damaged files (found once, before any timed
// loop) and reads out of bounds on a few of `edge/` (left out whole). Driven as in
// ../shared/peers/minimidi/_source.txt: every message's time, status and first data byte read.
const std::vector<const File*>& peer_files() {
  static const std::vector<const File*> files = [] {
    std::vector<const File*> out;
    for (const auto& f : corpus().files) {
      if (f.path.string().find("/edge/") != std::string::npos) continue;
      try {
        const auto* data = reinterpret_cast<const std::uint8_t*>(f.bytes.data());
        minimidi::MidiFileView<std::span<const std::uint8_t>> view(data, f.bytes.size());
        std::uint64_t sum = 0;
        for (const auto& track : view) {
          for (const auto& msg : track) sum += msg.time + msg.statusByte;
        }
        benchmark::DoNotOptimize(sum);
        out.push_back(&f);
      } catch (const std::exception&) {
      }
    }
    return out;
  }();
  return files;
}

std::uint64_t peer_bytes() {
  std::uint64_t n = 0;
  for (const File* f : peer_files()) n += f->bytes.size();
  return n;
}

// minimidi's lazy view: decodes as it iterates.
void BM_PeerMinimidiView(benchmark::State& state) {
  const auto& files = peer_files();
  std::uint64_t sum = 0, messages = 0;
  for (auto _ : state) {
    for (const File* f : files) {
      minimidi::MidiFileView<std::span<const std::uint8_t>> view(
          reinterpret_cast<const std::uint8_t*>(f->bytes.data()), f->bytes.size());
      for (const auto& track : view) {
        for (const auto& msg : track) {
          sum += msg.time + msg.statusByte;
          if (msg.statusByte >= 0x80 && msg.statusByte < 0xF0) sum += msg.data()[0];
          ++messages;
        }
      }
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetLabel(std::to_string(files.size()) + " files");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * peer_bytes()));
  state.SetItemsProcessed(static_cast<std::int64_t>(messages));
}
BENCHMARK(BM_PeerMinimidiView)->Unit(benchmark::kMillisecond)->UseRealTime();

// midisift's parser (arena) over the same files, in the same run: the ratio to BM_PeerMinimidiView.
void BM_PeerMidisiftArena(benchmark::State& state) {
  const auto& files = peer_files();
  parse::Arena arena;
  std::uint64_t events = 0;
  for (auto _ : state) {
    for (const File* f : files) {
      {
        const parse::Smf smf = parse::parse(f->bytes, &arena);
        events += smf.event_count();
        benchmark::DoNotOptimize(smf.tracks().data());
      }
      arena.reset();
    }
  }
  state.SetLabel(std::to_string(files.size()) + " files");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * peer_bytes()));
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
}
BENCHMARK(BM_PeerMidisiftArena)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

// ---- analysis alone, on files parsed before the timed loop ------------------------------------

// The corpus parsed once, before any timed loop, for the analysis benchmarks.
const std::vector<parse::Smf>& parsed_corpus() {
  static const std::vector<parse::Smf> parsed = [] {
    std::vector<parse::Smf> out;
    out.reserve(corpus().files.size());
    for (const auto& f : corpus().files) out.push_back(parse::parse(f.bytes, std::pmr::new_delete_resource()));
    return out;
  }();
  return parsed;
}

void BM_Analyze(benchmark::State& state) {
  const auto& parsed = parsed_corpus();
  parse::Arena scratch;
  for (auto _ : state) {
    for (const auto& smf : parsed) {
      if (smf.failure()) continue;
      benchmark::DoNotOptimize(analyze::compute_facts(smf, &scratch));
      scratch.reset();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes[kAll]));
}
BENCHMARK(BM_Analyze)->Unit(benchmark::kMillisecond)->UseRealTime();

// Full analysis (issue 3): first facts plus the musical analysis (notes, tempo and key estimation,
// MusPy metrics, fingerprint, loop candidates) on pre-parsed files. Read as a ratio to
// BM_Parse<Arena>/3 (same bytes): the cost of analysis relative to parsing.
void BM_AnalyzeFull(benchmark::State& state) {
  const auto& parsed = parsed_corpus();
  parse::Arena scratch;
  for (auto _ : state) {
    for (const auto& smf : parsed) {
      if (smf.failure()) continue;
      const auto facts = analyze::compute_facts(smf, &scratch);
      benchmark::DoNotOptimize(analyze::analyze_music(smf, facts, &scratch));
      scratch.reset();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes[kAll]));
}
BENCHMARK(BM_AnalyzeFull)->Unit(benchmark::kMillisecond)->UseRealTime();

// MD5 (RFC 1321, through OpenSSL's EVP interface, as the scan computes the `md5` column) of every
// corpus file, preloaded: the cost of the one stored fact that must read every byte again. Read as
// a ratio to BM_Parse<Arena>/3 (same bytes), beside BM_AnalyzeFull, which does not include it.
void BM_Md5(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& f : corpus().files) benchmark::DoNotOptimize(analyze::md5(f.bytes));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes[kAll]));
}
BENCHMARK(BM_Md5)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- hostile inputs: parse + full analysis stays linear ----------------------------------------

// Files built to hit the costly paths of the reader and the analysis (issue 7: bounded time,
// linear in the input), each about 1 MB, against the real corpus in the same benchmark: the figure
// to read is each input's MB/s as a ratio to the corpus's (label "corpus").
std::vector<std::byte> hostile_input(int kind) {
  std::vector<std::uint8_t> b;
  auto put = [&b](std::initializer_list<std::uint8_t> bytes) { b.insert(b.end(), bytes); };
  auto be32 = [&b](std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
  };
  auto vlq = [&b](std::uint32_t v) {
    std::array<std::uint8_t, 5> g{};
    int n = 0;
    do {
      g[static_cast<std::size_t>(n++)] = static_cast<std::uint8_t>(v & 0x7F);
      v >>= 7;
    } while (v != 0);
    while (n-- > 0) b.push_back(static_cast<std::uint8_t>(g[static_cast<std::size_t>(n)] | (n > 0 ? 0x80 : 0)));
  };
  auto header = [&](std::uint16_t format, std::uint16_t tracks, std::uint16_t division) {
    put({'M', 'T', 'h', 'd', 0, 0, 0, 6});
    put({0, static_cast<std::uint8_t>(format), static_cast<std::uint8_t>(tracks >> 8), static_cast<std::uint8_t>(tracks),
         static_cast<std::uint8_t>(division >> 8), static_cast<std::uint8_t>(division)});
  };
  auto track = [&](auto&& body) {
    put({'M', 'T', 'r', 'k'});
    const std::size_t at = b.size();
    be32(0);
    body();
    put({0x00, 0xFF, 0x2F, 0x00});
    const auto len = static_cast<std::uint32_t>(b.size() - at - 4);
    for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(len >> (24 - 8 * i));
  };
  switch (kind) {
    case 1:  // 80,000 tiny tracks
      header(1, 0xFFFF, 96);
      for (int t = 0; t < 80'000; ++t) track([] {});
      break;
    case 2:  // 40,000 tracks, each a note at tick 0 and one 65,000 bars later (loop search)
      header(1, 0xFFFF, 1);
      for (int t = 0; t < 40'000; ++t) {
        track([&] {
          put({0x00, 0x90, 60, 64, 0x01, 0x80, 60, 64});
          vlq(262'000);
          put({0x90, 60, 64, 0x01, 0x80, 60, 64});
        });
      }
      break;
    case 3:  // 100,000 notes never released, all 16 channels and 128 keys
      header(0, 1, 96);
      track([&] {
        for (int i = 0; i < 100'000; ++i) put({0x01, static_cast<std::uint8_t>(0x90 | (i % 16)), static_cast<std::uint8_t>(i % 128), 100});
      });
      break;
    case 4:  // a program change before each of 100,000 notes, cycling through 128 programs
      header(0, 1, 96);
      track([&] {
        for (int i = 0; i < 100'000; ++i) put({0x00, 0xC0, static_cast<std::uint8_t>(i % 128), 0x00, 0x90, 60, 100, 0x01, 0x80, 60, 0});
      });
      break;
    case 5:  // a tempo change before each of 100,000 notes
      header(0, 1, 96);
      track([&] {
        for (int i = 0; i < 100'000; ++i) put({0x00, 0xFF, 0x51, 0x03, 0x07, static_cast<std::uint8_t>(i), 0x20, 0x00, 0x90, 60, 100, 0x01, 0x80, 60, 0});
      });
      break;
    default:  // 1,000,000 status bytes where data bytes belong: a repair each
      header(0, 1, 96);
      track([&] {
        put({0x00, 0x90});
        b.insert(b.end(), 1'000'000, 0x90);
      });
      break;
  }
  std::vector<std::byte> out(b.size());
  std::memcpy(out.data(), b.data(), b.size());
  return out;
}

constexpr std::array<const char*, 7> kHostileNames = {"corpus",          "tiny_tracks",     "sparse_tracks",
                                                      "never_released",  "program_churn",   "tempo_churn",
                                                      "bad_data_bytes"};

void BM_Hostile(benchmark::State& state) {
  const int kind = static_cast<int>(state.range(0));
  std::vector<std::vector<std::byte>> inputs;
  if (kind == 0) {
    for (const auto& f : corpus().files) inputs.push_back(f.bytes);
  } else {
    inputs.push_back(hostile_input(kind));
  }
  std::uint64_t bytes = 0;
  for (const auto& in : inputs) bytes += in.size();
  parse::Arena arena;
  for (auto _ : state) {
    for (const auto& in : inputs) {
      {
        const auto smf = parse::parse(in, &arena);
        if (!smf.failure()) {
          const auto facts = analyze::compute_facts(smf, &arena);
          benchmark::DoNotOptimize(analyze::analyze_music(smf, facts, &arena));
        }
      }
      arena.reset();
    }
  }
  state.SetLabel(kHostileNames[static_cast<std::size_t>(kind)]);
  state.counters["input_MB"] = static_cast<double>(bytes) / 1e6;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_Hostile)->DenseRange(0, 6)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- memory: upstream allocations per file in steady state ------------------------------------

template <class Strategy>
void BM_Memory(benchmark::State& state) {
  const auto& files = corpus().by_class[kAll];
  Strategy strategy;
  auto pass = [&] {
    for (const File* f : files) {
      { const parse::Smf smf = parse::parse(f->bytes, strategy.resource()); }
      strategy.after_file();
    }
  };
  pass();  // warm up: the arena grows to the largest file, the pool fills its free lists
  const std::uint64_t before = strategy.upstream_allocations();
  std::uint64_t passes = 0;
  for (auto _ : state) {
    pass();
    ++passes;
  }
  const auto n = static_cast<double>(passes * files.size());
  state.counters["upstream_allocs_per_file"] = static_cast<double>(strategy.upstream_allocations() - before) / n;
  state.counters["reserved_MB"] = static_cast<double>(strategy.reserved_bytes()) / 1e6;
}
BENCHMARK_TEMPLATE(BM_Memory, Arena)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_TEMPLATE(BM_Memory, HeapCounted)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_TEMPLATE(BM_Memory, Pool)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// ---- end to end: the real `midisift scan` into a temporary SQLite file ------------------------

fs::path self_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

void BM_ScanEndToEnd(benchmark::State& state) {
  const auto jobs = std::to_string(state.range(0));
  const fs::path exe = self_dir() / "midisift";
  if (!fs::exists(exe)) {
    state.SkipWithError("midisift binary not found beside midisift-bench");
    return;
  }
  const fs::path tmp = fs::temp_directory_path() / ("midisift_bench_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string db = (tmp / "scan.db").string();
  const std::string alloc = state.range(1) == 0 ? "arena" : "heap";
  const std::string out = (tmp / "summary.txt").string();
  double peak_rss_mb = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
    state.ResumeTiming();
    std::vector<std::string> args = {exe.string(), "scan", corpus().root.string(), "--db", db, "-j", jobs,
                                     "--alloc", alloc};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int spawned = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      state.SkipWithError("posix_spawn failed");
      break;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      state.SkipWithError("midisift scan failed");
      break;
    }
    // The scanner reports its own peak (VmHWM): getrusage's ru_maxrss would include this
    // process's preloaded corpus, which survives exec.
    std::ifstream summary(out);
    std::string line;
    std::getline(summary, line);
    if (const auto at = line.find("peak RSS "); at != std::string::npos) {
      peak_rss_mb = std::max(peak_rss_mb, std::stod(line.substr(at + 9)));
    }
  }
  fs::remove_all(tmp);
  state.SetLabel(alloc + ", " + jobs + " jobs");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes[kAll]));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * corpus().files.size()));
  state.counters["peak_rss_MB"] = peak_rss_mb;
}
BENCHMARK(BM_ScanEndToEnd)
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->ArgNames({"jobs", "heap"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  fs::path root = "../shared/corpus";
  if (const char* env = std::getenv("MIDISIFT_CORPUS")) root = env;
  if (argc > 1) root = argv[1];
  if (!fs::is_directory(root)) {
    std::cerr << "midisift-bench: corpus folder " << root << " not found (give it as the first argument or in "
              << "MIDISIFT_CORPUS)\n";
    return 1;
  }
  load(root);
  const Corpus& c = corpus();
  std::cerr << "corpus " << root.string() << ": " << c.files.size() << " files, " << c.bytes[kAll] << " bytes ("
            << c.by_class[kSmall].size() << " under 4 KB, " << c.by_class[kMedium].size() << " 4-64 KB, "
            << c.by_class[kLarge].size() << " over 64 KB)\n";
  benchmark::AddCustomContext("corpus", root.string());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
