// Result of every fallible firmware call.
#pragma once

#include <cstdint>

namespace midisift::clip {

enum class [[nodiscard]] Status : std::uint8_t {
  Ok,
  Truncated,      ///< input shorter than its declared content
  CapacityFull,   ///< a fixed pool or buffer has no room left
  BadEvent,       ///< an event that is not a channel voice message, or ticks out of order
};

}  // namespace midisift::clip
