// midisift-bench: arena against heap parsing over a real corpus, with an I/O-only baseline in the
// same run so every figure reads as a ratio.
//
//   midisift-bench [CORPUS_DIR] [--benchmark_* flags]
//
// CORPUS_DIR defaults to $MIDISIFT_CORPUS, else ../shared/corpus. Files are preloaded into memory
// except by the BM_MapAndTouch baseline, which maps each file as the scan does.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory_resource>
#include <string>
#include <vector>

#include "midisift/analyze/facts.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/parse/input_file.hpp"
#include "midisift/parse/smf.hpp"

namespace {

namespace fs = std::filesystem;
using namespace midisift;

struct Corpus {
  std::vector<fs::path> paths;
  std::vector<std::vector<std::byte>> files;
  std::uint64_t bytes = 0;
};

Corpus& corpus() {
  static Corpus c;
  return c;
}

bool is_midi(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext == ".mid" || ext == ".midi" || ext == ".kar" || ext == ".rmi" || ext == ".smf";
}

void load(const fs::path& root) {
  Corpus& c = corpus();
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || !is_midi(e.path()) || e.file_size() == 0) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::vector<std::byte> data(e.file_size());
    in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size()));
    c.bytes += data.size();
    c.paths.push_back(e.path());
    c.files.push_back(std::move(data));
  }
}

void BM_MapAndTouch(benchmark::State& state) {
  std::uint64_t sum = 0;
  for (auto _ : state) {
    for (const auto& p : corpus().paths) {
      parse::InputFile f;
      parse::OpenError err;
      if (!f.open(p, err)) continue;
      for (std::byte b : f.bytes()) sum += std::to_integer<unsigned>(b);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes));
}
BENCHMARK(BM_MapAndTouch)->Unit(benchmark::kMillisecond)->UseRealTime();

struct ArenaStrategy {
  parse::Arena arena;
  std::pmr::memory_resource* resource() { return &arena; }
  void reset() { arena.reset(); }
};
struct HeapStrategy {
  std::pmr::memory_resource* resource() { return std::pmr::new_delete_resource(); }
  void reset() {}
};

template <class Strategy>
void BM_ParseFile(benchmark::State& state) {
  Strategy strategy;
  std::uint64_t events = 0;
  for (auto _ : state) {
    for (const auto& f : corpus().files) {
      {
        const parse::Smf smf = parse::parse(f, strategy.resource());
        events += smf.event_count();
        benchmark::DoNotOptimize(smf.tracks().data());
      }
      strategy.reset();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
}
BENCHMARK_TEMPLATE(BM_ParseFile, ArenaStrategy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ParseFile, HeapStrategy)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ParseAndFacts(benchmark::State& state) {
  parse::Arena arena;
  for (auto _ : state) {
    for (const auto& f : corpus().files) {
      {
        const parse::Smf smf = parse::parse(f, &arena);
        benchmark::DoNotOptimize(analyze::compute_facts(smf, &arena));
      }
      arena.reset();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().bytes));
}
BENCHMARK(BM_ParseAndFacts)->Unit(benchmark::kMillisecond)->UseRealTime();

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
  std::cerr << "corpus " << root.string() << ": " << corpus().files.size() << " files, " << corpus().bytes
            << " bytes\n";
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
