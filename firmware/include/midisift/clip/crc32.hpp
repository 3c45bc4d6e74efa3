// CRC-32 as in IEEE 802.3, zlib and PNG: reflected polynomial 0xEDB88320, initial value and final
// XOR 0xFFFFFFFF (check value of "123456789": 0xCBF43926). Table built at compile time (1 KB of
// flash on the device); incremental, so a file can be checked while it streams through a small buffer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace midisift::clip {

namespace detail {
constexpr std::array<std::uint32_t, 256> make_crc32_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) ? (0xEDB88320U ^ (c >> 1)) : (c >> 1);
    t[i] = c;
  }
  return t;
}
inline constexpr std::array<std::uint32_t, 256> kCrc32Table = make_crc32_table();
}  // namespace detail

/// Running CRC-32: `Crc32 c; c.update(a, n); c.update(b, m); c.value()` equals the CRC of a then b.
class Crc32 {
 public:
  constexpr void update(const std::uint8_t* data, std::size_t size) noexcept {
    for (std::size_t i = 0; i < size; ++i) state_ = detail::kCrc32Table[(state_ ^ data[i]) & 0xFFU] ^ (state_ >> 8);
  }
  [[nodiscard]] constexpr std::uint32_t value() const noexcept { return state_ ^ 0xFFFFFFFFU; }

 private:
  std::uint32_t state_ = 0xFFFFFFFFU;
};

/// CRC-32 of `data[0..size)`.
[[nodiscard]] constexpr std::uint32_t crc32(const std::uint8_t* data, std::size_t size) noexcept {
  Crc32 c;
  c.update(data, size);
  return c.value();
}

namespace detail {
constexpr bool crc32_check_value() {
  const std::array<std::uint8_t, 9> s{'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  return crc32(s.data(), s.size()) == 0xCBF43926U;
}
}  // namespace detail
static_assert(detail::crc32_check_value(), "CRC-32 check value of \"123456789\"");

}  // namespace midisift::clip
