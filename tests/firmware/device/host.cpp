// Host platform of the firmware test harness: stdio, and main().
#include <cstdio>

#include "check.hpp"

namespace fwtest {

void write(const char* text) { std::fputs(text, stdout); }

bool read_host_file(const char* path, std::uint8_t* data, std::size_t capacity, std::size_t& size) {
  std::FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  size = std::fread(data, 1, capacity, f);
  const bool whole = std::fgetc(f) == EOF && std::ferror(f) == 0;
  std::fclose(f);
  return whole;
}

}  // namespace fwtest

int main() {
  const int failed = fwtest::run_all();
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}
