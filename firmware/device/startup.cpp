// Minimal Cortex-M4 start-up for the firmware tests and size probe: vector table, .data/.bss
// set-up, FPU enable (CPACR), static constructors, main, and exit through Arm semihosting so the
// status reaches the host (QEMU -semihosting). No heap, no C library start-up.
#include <cstdint>

#include "semihosting.hpp"

extern "C" {
extern std::uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_top;
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();

[[noreturn]] void reset_handler() {
  const std::uint32_t* src = &_data_load;
  for (std::uint32_t* dst = &_data_start; dst < &_data_end;) *dst++ = *src++;
  for (std::uint32_t* dst = &_bss_start; dst < &_bss_end;) *dst++ = 0;
  // Full access to coprocessors 10 and 11 (the FPU) before any floating-point instruction.
  volatile std::uint32_t& cpacr = *reinterpret_cast<volatile std::uint32_t*>(0xE000ED88U);
  cpacr = cpacr | (0xFU << 20);
  __asm volatile("dsb\n isb" ::: "memory");
  for (auto* f = __init_array_start; f < __init_array_end; ++f) (*f)();
  midisift::device::exit(main());
}

[[noreturn]] void fault_handler() {
  midisift::device::write0("fault: hard fault or unexpected exception\n");
  midisift::device::exit(2);
}

// Pure virtual calls cannot happen in correct code; without this the C++ runtime's version pulls
// in abort() and stdio.
void __cxa_pure_virtual() { fault_handler(); }

__attribute__((section(".vectors"), used)) void (*const g_vectors[16])() = {
    reinterpret_cast<void (*)()>(&_stack_top), reset_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, nullptr, nullptr, nullptr, nullptr, fault_handler, fault_handler, nullptr,
    fault_handler, fault_handler};
}
