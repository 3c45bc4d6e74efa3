// The looper's compact MIDI event: 7 bytes on the SD card and in the device's event pools.
//
// Layout (little-endian): bytes 0-3 uint32 tick, 4 status, 5 data1, 6 data2. Encoded and decoded
// with explicit shifts (never a packed struct or reinterpret_cast), so host and Cortex-M4 agree
// whatever the compiler's layout. No heap, no exceptions: usable in the firmware.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace midisift::clip {

inline constexpr std::size_t kEventSize = 7;

struct Event {
  std::uint32_t tick = 0;    ///< ticks from the clip start, at the clip's ppq
  std::uint8_t status = 0;   ///< MIDI channel voice status byte (0x80-0xEF)
  std::uint8_t data1 = 0;
  std::uint8_t data2 = 0;
  friend constexpr bool operator==(const Event&, const Event&) = default;
};

/// Writes `e` to `out[0..6]`.
constexpr void encode(const Event& e, std::uint8_t* out) noexcept {
  out[0] = static_cast<std::uint8_t>(e.tick & 0xFFU);
  out[1] = static_cast<std::uint8_t>((e.tick >> 8) & 0xFFU);
  out[2] = static_cast<std::uint8_t>((e.tick >> 16) & 0xFFU);
  out[3] = static_cast<std::uint8_t>((e.tick >> 24) & 0xFFU);
  out[4] = e.status;
  out[5] = e.data1;
  out[6] = e.data2;
}

/// Reads an event from `in[0..6]`.
[[nodiscard]] constexpr Event decode(const std::uint8_t* in) noexcept {
  Event e;
  e.tick = static_cast<std::uint32_t>(in[0]) | (static_cast<std::uint32_t>(in[1]) << 8) |
           (static_cast<std::uint32_t>(in[2]) << 16) | (static_cast<std::uint32_t>(in[3]) << 24);
  e.status = in[4];
  e.data1 = in[5];
  e.data2 = in[6];
  return e;
}

namespace detail {
constexpr bool round_trips(Event e) {
  std::array<std::uint8_t, kEventSize> b{};
  encode(e, b.data());
  return decode(b.data()) == e;
}
constexpr bool little_endian_layout() {
  std::array<std::uint8_t, kEventSize> b{};
  encode(Event{0x12345678U, 0x90, 60, 100}, b.data());
  return b[0] == 0x78 && b[1] == 0x56 && b[2] == 0x34 && b[3] == 0x12 && b[4] == 0x90 && b[5] == 60 && b[6] == 100;
}
}  // namespace detail

static_assert(detail::round_trips(Event{0, 0x90, 60, 100}));
static_assert(detail::round_trips(Event{0xFFFFFFFFU, 0xEF, 0x7F, 0x7F}));
static_assert(detail::round_trips(Event{0x00010203U, 0x80, 0, 0}));
static_assert(detail::little_endian_layout());

}  // namespace midisift::clip
