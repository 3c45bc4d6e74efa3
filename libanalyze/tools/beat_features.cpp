// midisift-beat-features: the beat-salience features of every onset group of MIDI files, for
// scripts/train_beat_salience.py (not installed; a tool for whoever retrains the model).
//
// Usage: midisift-beat-features OUT FILE...
// OUT receives, per readable file: uint32 path length, the path's bytes, uint32 group count, then
// per group a float64 onset in seconds and kBeatFeatureCount float32 features (little-endian, as
// this machine writes them). Files that cannot be read or parsed are named on stderr and skipped.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "midisift/analyze/beat_salience.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/parse/input_file.hpp"

int main(int argc, char** argv) {
  using namespace midisift;
  if (argc < 3) {
    std::fprintf(stderr, "usage: midisift-beat-features OUT FILE...\n");
    return 2;
  }
  std::FILE* out = std::fopen(argv[1], "wb");
  if (out == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  int failed = 0;
  parse::Arena arena;
  for (int a = 2; a < argc; ++a) {
    const std::string path = argv[a];
    parse::InputFile file;
    parse::OpenError error;
    if (!file.open(std::filesystem::path(path), error)) {
      std::fprintf(stderr, "midisift-beat-features: %s: cannot read\n", path.c_str());
      ++failed;
      continue;
    }
    arena.reset();
    const parse::Smf smf = parse::parse(file.bytes(), &arena);
    if (smf.failure()) {
      std::fprintf(stderr, "midisift-beat-features: %s: not a MIDI file\n", path.c_str());
      ++failed;
      continue;
    }
    const auto notes = analyze::performed_notes(smf, &arena);
    const auto groups = analyze::beat_features(notes, &arena);
    const auto len = static_cast<std::uint32_t>(path.size());
    const auto n = static_cast<std::uint32_t>(groups.size());
    std::fwrite(&len, 4, 1, out);
    std::fwrite(path.data(), 1, path.size(), out);
    std::fwrite(&n, 4, 1, out);
    for (const auto& g : groups) {
      std::fwrite(&g.seconds, 8, 1, out);
      std::fwrite(g.x.data(), 4, g.x.size(), out);
    }
  }
  if (std::fclose(out) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  return failed == 0 ? 0 : 1;
}
