// Reads the Standard MIDI File named on the command line with midisift::parse and prints its shape.
#include <cstdio>
#include <memory_resource>

#include "midisift/parse/input_file.hpp"
#include "midisift/parse/smf.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  midisift::parse::InputFile input;
  midisift::parse::OpenError error;
  if (!input.open(argv[1], error)) {
    std::fprintf(stderr, "consumer: %s\n", error.message.c_str());
    return 1;
  }
  std::pmr::monotonic_buffer_resource arena;
  const auto smf = midisift::parse::parse(input.bytes(), &arena, {});
  if (smf.failure()) return 1;
  std::printf("consumer: format %u, %zu tracks, ppq %u, %zu events in track 1\n", unsigned{smf.header().format},
              smf.tracks().size(), unsigned{smf.header().ppq()}, smf.tracks()[1].events.size());
  return 0;
}
