// libFuzzer target: the SMF reader and the whole analysis on a monotonic arena, as `scan` runs
// them (one arena per worker, released after each file).
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>

#include "smf_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::pmr::monotonic_buffer_resource arena(std::size_t{1} << 20);
  midisift::fuzz::check_smf(std::as_bytes(std::span(data, size)), &arena);
  arena.release();
  return 0;
}
