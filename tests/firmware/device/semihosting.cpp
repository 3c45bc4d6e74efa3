// Cortex-M4 platform of the firmware test harness: output and host files through semihosting.
#include "check.hpp"
#include "semihosting.hpp"

namespace fwtest {

void write(const char* text) { midisift::device::write0(text); }

bool read_host_file(const char* path, std::uint8_t* data, std::size_t capacity, std::size_t& size) {
  return midisift::device::read_file(path, data, capacity, size);
}

}  // namespace fwtest

int main() { return fwtest::run_all() == 0 ? 0 : 1; }
