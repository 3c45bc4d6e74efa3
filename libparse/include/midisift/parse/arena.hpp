// Memory resources for the two parsing strategies.
//
// Heap strategy: `std::pmr::new_delete_resource()`. Arena strategy: `Arena`, a
// `std::pmr::monotonic_buffer_resource` over a buffer it owns and reuses from file to file, so that
// in steady state a file costs no upstream allocation at all (the idea of LLVM's
// `BumpPtrAllocator::Reset`, which keeps its first slab).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <optional>

namespace midisift::parse {

/// Forwards to `upstream` and counts what passes through. Not thread-safe.
class CountingResource final : public std::pmr::memory_resource {
 public:
  explicit CountingResource(std::pmr::memory_resource* upstream = std::pmr::new_delete_resource()) noexcept
      : upstream_(upstream) {}

  [[nodiscard]] std::uint64_t allocations() const noexcept { return allocations_; }
  [[nodiscard]] std::uint64_t bytes_allocated() const noexcept { return bytes_; }
  [[nodiscard]] std::uint64_t bytes_in_use() const noexcept { return in_use_; }
  [[nodiscard]] std::uint64_t peak_bytes_in_use() const noexcept { return peak_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override;
  [[nodiscard]] bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
  std::pmr::memory_resource* upstream_;
  std::uint64_t allocations_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t in_use_ = 0;
  std::uint64_t peak_ = 0;
};

/// A monotonic arena for one file at a time.
///
/// Allocation bumps a pointer in an owned buffer; deallocation does nothing; `reset()` frees
/// everything at once. When a file needed more than the buffer, the arena went upstream for the
/// rest; `reset()` then grows the owned buffer to cover that file (up to `max_retained` bytes), so
/// the next file of that size costs no upstream allocation. Not thread-safe: one arena per file
/// in flight.
class Arena final : public std::pmr::memory_resource {
 public:
  static constexpr std::size_t kDefaultInitial = std::size_t{1} << 20;     // 1 MiB
  static constexpr std::size_t kDefaultMaxRetained = std::size_t{32} << 20;  // 32 MiB

  explicit Arena(std::size_t initial_bytes = kDefaultInitial, std::size_t max_retained = kDefaultMaxRetained,
                 std::pmr::memory_resource* upstream = std::pmr::new_delete_resource());
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() override;

  /// Frees everything allocated since the last reset. Everything allocated from the arena
  /// (an `Smf`, its tracks) must be destroyed first.
  void reset();

  /// Upstream allocations since construction (beyond the owned buffer), and their bytes.
  [[nodiscard]] std::uint64_t upstream_allocations() const noexcept { return counting_.allocations(); }
  [[nodiscard]] std::uint64_t upstream_bytes() const noexcept { return counting_.bytes_allocated(); }
  /// Bytes of the owned buffer.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override;
  [[nodiscard]] bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  CountingResource counting_;
  std::size_t max_retained_;
  std::size_t capacity_ = 0;
  std::unique_ptr<std::byte[]> buffer_;
  std::uint64_t upstream_bytes_at_reset_ = 0;
  std::optional<std::pmr::monotonic_buffer_resource> mono_;
};

}  // namespace midisift::parse
