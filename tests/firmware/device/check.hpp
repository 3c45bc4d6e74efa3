// A test harness with no heap, no exceptions and no standard I/O, so the same firmware tests run
// on the host (ctest) and on a Cortex-M4 under QEMU (output and exit status through semihosting).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fwtest {

/// Provided per platform: host.cpp (stdio) or arm/semihosting.cpp.
void write(const char* text);
/// Reads a whole host file (the prepared card); false when absent or larger than `capacity`.
bool read_host_file(const char* path, std::uint8_t* data, std::size_t capacity, std::size_t& size);

void write_number(std::uint64_t n);

using TestFn = void (*)();
struct Registrar {
  Registrar(const char* name, TestFn fn);
};

/// Records a failed check (the test goes on, the run fails).
void fail(const char* expr, const char* file, int line);
/// Marks the running test skipped with a reason (printed).
void skip(const char* reason);
/// Runs every registered test; returns the number that failed.
int run_all();

}  // namespace fwtest

#define FW_CHECK(cond)                                   \
  do {                                                   \
    if (!(cond)) ::fwtest::fail(#cond, __FILE__, __LINE__); \
  } while (0)
#define FW_CHECK_OK(expr) FW_CHECK((expr) == ::midisift::clip::Status::Ok)
#define FW_TEST(name)                                                    \
  static void name();                                                    \
  static const ::fwtest::Registrar name##_registrar(#name, &(name));    \
  static void name()
