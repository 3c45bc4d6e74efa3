// Fixed-capacity event pool (no heap): contiguous runs of fixed-size blocks, first fit, with
// statistics and, when kCanaries, a guard event after each allocation that detects overruns.
#pragma once

#include <cstddef>
#include <cstdint>

#include "midisift/clip/config.hpp"
#include "midisift/clip/event.hpp"
#include "midisift/clip/status.hpp"

namespace midisift::clip {

struct PoolStats {
  std::uint32_t allocations = 0;  ///< successful allocations
  std::uint32_t frees = 0;
  std::uint32_t failures = 0;     ///< allocations refused for lack of contiguous room
  std::size_t in_use = 0;         ///< units (events or slots) in use now
  std::size_t peak = 0;           ///< most units ever in use at once
  std::uint32_t canary_violations = 0;  ///< guards found overwritten at free or check_canaries()
};

/// `Blocks` blocks of `BlockEvents` events. An allocation of n events takes ceil((n + guard) /
/// BlockEvents) contiguous blocks, guard = 1 with canaries, else 0.
template <std::size_t Blocks, std::size_t BlockEvents>
class EventPool {
 public:
  static constexpr Event kCanary{0xC0DEFA11U, 0xFD, 0xFD, 0xFD};  // not a valid clip event

  /// Room for `count` events; `out` points at the first. CapacityFull when no run of free blocks
  /// is long enough (fragmentation included); InvalidArgument for 0 events.
  Status allocate(std::size_t count, Event*& out) noexcept {
    out = nullptr;
    if (count == 0) return Status::InvalidArgument;
    const std::size_t need = (count + (kCanaries ? 1 : 0) + BlockEvents - 1) / BlockEvents;
    if (need > Blocks) {
      ++stats_.failures;
      return Status::CapacityFull;
    }
    std::size_t run = 0;
    for (std::size_t b = 0; b < Blocks; ++b) {
      run = used_[b] ? 0 : run + 1;
      if (run == need) {
        const std::size_t first = b + 1 - need;
        for (std::size_t i = first; i <= b; ++i) used_[i] = true;
        run_blocks_[first] = static_cast<std::uint16_t>(need);
        count_[first] = static_cast<std::uint32_t>(count);
        out = &storage_[first * BlockEvents];
        if constexpr (kCanaries) out[count] = kCanary;
        ++stats_.allocations;
        stats_.in_use += count;
        if (stats_.in_use > stats_.peak) stats_.peak = stats_.in_use;
        return Status::Ok;
      }
    }
    ++stats_.failures;
    return Status::CapacityFull;
  }

  /// Returns the run that starts at `events` (from allocate). BadEvent when its guard was
  /// overwritten (counted in canary_violations; the run is freed anyway); InvalidArgument for a
  /// pointer that allocate did not return.
  Status free(Event* events) noexcept {
    const std::size_t first = block_of(events);
    if (first >= Blocks || run_blocks_[first] == 0) return Status::InvalidArgument;
    Status s = Status::Ok;
    if (!guard_intact(first)) {
      ++stats_.canary_violations;
      s = Status::BadEvent;
    }
    for (std::size_t i = first; i < first + run_blocks_[first]; ++i) used_[i] = false;
    stats_.in_use -= count_[first];
    run_blocks_[first] = 0;
    count_[first] = 0;
    ++stats_.frees;
    return s;
  }

  /// Checks every live allocation's guard; the number found overwritten (0 without canaries).
  std::uint32_t check_canaries() noexcept {
    std::uint32_t bad = 0;
    for (std::size_t b = 0; b < Blocks; ++b) {
      if (run_blocks_[b] != 0 && !guard_intact(b)) ++bad;
    }
    stats_.canary_violations += bad;
    return bad;
  }

  [[nodiscard]] const PoolStats& stats() const noexcept { return stats_; }
  [[nodiscard]] static constexpr std::size_t capacity() noexcept { return Blocks * BlockEvents - (kCanaries ? 1 : 0); }

 private:
  [[nodiscard]] std::size_t block_of(const Event* e) const noexcept {
    if (e < storage_ || e >= storage_ + Blocks * BlockEvents) return Blocks;
    const auto offset = static_cast<std::size_t>(e - storage_);
    return offset % BlockEvents == 0 ? offset / BlockEvents : Blocks;
  }
  [[nodiscard]] bool guard_intact(std::size_t first) const noexcept {
    if constexpr (!kCanaries) return true;
    return storage_[first * BlockEvents + count_[first]] == kCanary;
  }

  Event storage_[Blocks * BlockEvents] = {};
  bool used_[Blocks] = {};
  std::uint16_t run_blocks_[Blocks] = {};  ///< at a run's first block: its length; else 0
  std::uint32_t count_[Blocks] = {};       ///< at a run's first block: events asked for
  PoolStats stats_;
};

}  // namespace midisift::clip
