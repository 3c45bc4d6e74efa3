// Arm semihosting (Arm "Semihosting for AArch32 and AArch64", operations SYS_WRITE0, SYS_OPEN,
// SYS_READ, SYS_FLEN, SYS_CLOSE, SYS_EXIT): console and host files for code running under QEMU
// with -semihosting. Test and probe support only, never part of the firmware library.
#pragma once

#include <cstddef>
#include <cstdint>

namespace midisift::device {

inline int semihost(int op, const void* arg) {
  register int r0 __asm("r0") = op;
  register const void* r1 __asm("r1") = arg;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

inline void write0(const char* text) { (void)semihost(0x04, text); }

/// Ends the program: status 0 reports ADP_Stopped_ApplicationExit (QEMU exits 0), anything else
/// ADP_Stopped_RunTimeErrorUnknown (QEMU exits 1).
[[noreturn]] inline void exit(int status) {
  (void)semihost(0x18, reinterpret_cast<const void*>(status == 0 ? 0x20026 : 0x20023));
  for (;;) {
  }
}

/// Reads a whole host file into `data`; false when it cannot be opened or is larger than `capacity`.
inline bool read_file(const char* path, std::uint8_t* data, std::size_t capacity, std::size_t& size) {
  std::size_t len = 0;
  while (path[len] != 0) ++len;
  const std::uintptr_t open_args[3] = {reinterpret_cast<std::uintptr_t>(path), 1 /* "rb" */, len};
  const int handle = semihost(0x01, open_args);
  if (handle < 0) return false;
  const std::uintptr_t flen_args[1] = {static_cast<std::uintptr_t>(handle)};
  const int flen = semihost(0x0C, flen_args);
  bool ok = flen >= 0 && static_cast<std::size_t>(flen) <= capacity;
  if (ok) {
    const std::uintptr_t read_args[3] = {static_cast<std::uintptr_t>(handle), reinterpret_cast<std::uintptr_t>(data),
                                         static_cast<std::uintptr_t>(flen)};
    ok = semihost(0x06, read_args) == 0;  // returns the bytes NOT read
    size = static_cast<std::size_t>(flen);
  }
  (void)semihost(0x02, flen_args);
  return ok;
}

}  // namespace midisift::device
