// Shared by the fuzz harnesses: an invariant check that stops the run (libFuzzer saves the input
// as a crash), and a memory resource that counts what the code under test asks for.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory_resource>

/// A broken invariant is a finding: print it and abort, so that libFuzzer keeps the input and the
/// replay driver (replay_main.cpp) fails the regression test.
#define FUZZ_CHECK(cond, what)                                                          \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   what, #cond);                                                        \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)

namespace midisift::fuzz {

/// Passes every request to `upstream` and adds up the bytes requested (never subtracts: for a
/// monotonic arena that is the memory held; for the heap, an upper bound of the peak).
class CountingResource final : public std::pmr::memory_resource {
 public:
  explicit CountingResource(std::pmr::memory_resource* upstream) noexcept : upstream_(upstream) {}
  [[nodiscard]] std::size_t requested() const noexcept { return requested_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    requested_ += bytes;
    return upstream_->allocate(bytes, align);
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override { upstream_->deallocate(p, bytes, align); }
  [[nodiscard]] bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
  std::pmr::memory_resource* upstream_;
  std::size_t requested_ = 0;
};

}  // namespace midisift::fuzz
