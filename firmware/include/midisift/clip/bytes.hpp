// Little-endian field access with explicit shifts, for the clip-file formats (never a packed struct
// or reinterpret_cast: host and Cortex-M4 must agree whatever the compiler's layout).
#pragma once

#include <cstddef>
#include <cstdint>

namespace midisift::clip::detail {

constexpr void put_u16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v & 0xFFU);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
constexpr void put_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>((v >> (8 * i)) & 0xFFU);
}
[[nodiscard]] constexpr std::uint16_t get_u16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
[[nodiscard]] constexpr std::uint32_t get_u32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

/// Copies the NUL-terminated `text` into a fixed field of `size` bytes, NUL-padded. Returns false
/// (field left NUL-filled) when it does not fit with at least one NUL.
constexpr bool put_text(std::uint8_t* p, std::size_t size, const char* text) noexcept {
  for (std::size_t i = 0; i < size; ++i) p[i] = 0;
  std::size_t n = 0;
  while (text[n] != '\0') {
    if (n + 1 >= size) {
      for (std::size_t i = 0; i < size; ++i) p[i] = 0;
      return false;
    }
    p[n] = static_cast<std::uint8_t>(text[n]);
    ++n;
  }
  return true;
}

/// Reads a fixed NUL-padded text field into `out` (`size` bytes, always NUL-terminated). False when
/// the field has no NUL, a byte outside printable ASCII (0x20-0x7E), or a byte after the first NUL.
constexpr bool get_text(const std::uint8_t* p, std::size_t size, char* out) noexcept {
  bool ended = false;
  for (std::size_t i = 0; i < size; ++i) {
    const std::uint8_t c = p[i];
    out[i] = static_cast<char>(c);
    if (c == 0) {
      ended = true;
    } else if (ended || c < 0x20 || c > 0x7E) {
      out[0] = '\0';
      return false;
    }
  }
  if (!ended) out[0] = '\0';
  return ended;
}

}  // namespace midisift::clip::detail
