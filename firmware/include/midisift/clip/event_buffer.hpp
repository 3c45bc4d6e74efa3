// Decoding a run of 7-byte events into caller-owned storage (no heap).
#pragma once

#include <cstddef>
#include <cstdint>

#include "midisift/clip/event.hpp"
#include "midisift/clip/status.hpp"

namespace midisift::clip {

/// Decodes `size` bytes of packed events from `in` into `out[0..capacity)`.
///
/// `size` must be a multiple of 7 (else `Truncated`, nothing written past the last whole event);
/// more events than `capacity` gives `CapacityFull`; an event whose status is not a channel voice
/// message (0x80-0xEF), a data byte over 127, or a tick smaller than its predecessor gives
/// `BadEvent`. `count` is the number of events decoded in every case.
Status decode_events(const std::uint8_t* in, std::size_t size, Event* out, std::size_t capacity,
                     std::size_t& count) noexcept;

}  // namespace midisift::clip
