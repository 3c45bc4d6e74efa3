#include "midisift/clip/event_buffer.hpp"

namespace midisift::clip {

Status decode_events(const std::uint8_t* in, std::size_t size, Event* out, std::size_t capacity,
                     std::size_t& count) noexcept {
  count = 0;
  const std::size_t whole = size / kEventSize;
  std::uint32_t previous_tick = 0;
  for (std::size_t i = 0; i < whole; ++i) {
    if (count == capacity) return Status::CapacityFull;
    const Event e = decode(in + i * kEventSize);
    if (e.status < 0x80 || e.status >= 0xF0 || e.data1 > 0x7F || e.data2 > 0x7F || e.tick < previous_tick) {
      return Status::BadEvent;
    }
    previous_tick = e.tick;
    out[count++] = e;
  }
  return size % kEventSize == 0 ? Status::Ok : Status::Truncated;
}

}  // namespace midisift::clip
