// Playback of a loaded clip: the events due in each tick window, wrapping at the loop end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "midisift/clip/event.hpp"

namespace midisift::clip {

/// Walks a clip's events (sorted by tick, ticks in [0, loop_ticks]) as a loop. The clock advances
/// by windows of ticks; each event is emitted exactly once per pass of the loop, in order. Events at
/// tick == loop_ticks (note-offs of notes cut at the loop end) play at the boundary, before the next
/// pass's tick 0. Views `events`: the clip must stay loaded (acquired) while the cursor is used.
class Cursor {
 public:
  Cursor() = default;
  /// loop_ticks 0 gives a cursor that never emits.
  Cursor(std::span<const Event> events, std::uint32_t loop_ticks) noexcept : events_(events), loop_(loop_ticks) {}

  /// Emits the events due in [position, position + ticks) as emit(event, offset), offset being
  /// ticks from the window start (0 .. ticks-1; boundary events at the offset of the wrap), then
  /// moves the position on by `ticks`, wrapping as often as the window spans the loop end.
  template <class Emit>
  void advance(std::uint32_t ticks, Emit&& emit) noexcept {
    if (loop_ == 0) return;
    std::uint64_t offset = 0;
    while (ticks > 0) {
      const std::uint32_t left_in_pass = loop_ - position_;
      const std::uint32_t step = ticks < left_in_pass ? ticks : left_in_pass;
      const std::uint32_t end = position_ + step;
      while (next_ < events_.size() && events_[next_].tick < end) {
        emit(events_[next_], static_cast<std::uint32_t>(offset + events_[next_].tick - position_));
        ++next_;
      }
      offset += step;
      ticks -= step;
      position_ = end;
      if (position_ == loop_) {
        while (next_ < events_.size() && events_[next_].tick == loop_) {
          emit(events_[next_], static_cast<std::uint32_t>(offset));
          ++next_;
        }
        position_ = 0;
        next_ = 0;
        ++passes_;
      }
    }
  }

  /// Moves to `tick` (modulo the loop length) without emitting.
  void seek(std::uint32_t tick) noexcept {
    if (loop_ == 0) return;
    position_ = tick % loop_;
    next_ = 0;
    while (next_ < events_.size() && events_[next_].tick < position_) ++next_;
  }

  [[nodiscard]] std::uint32_t position() const noexcept { return position_; }
  /// Completed passes of the loop.
  [[nodiscard]] std::uint32_t passes() const noexcept { return passes_; }

 private:
  std::span<const Event> events_;
  std::uint32_t loop_ = 0;
  std::uint32_t position_ = 0;
  std::size_t next_ = 0;
  std::uint32_t passes_ = 0;
};

}  // namespace midisift::clip
