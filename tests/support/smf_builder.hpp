// Tiny helpers to write SMF byte arrays by hand in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace midisift::test {

using Bytes = std::vector<std::uint8_t>;

inline void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

inline Bytes be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}

/// MThd chunk with length 6.
inline Bytes mthd(std::uint16_t format, std::uint16_t ntrks, std::uint16_t division) {
  return {'M', 'T', 'h', 'd', 0, 0, 0, 6,
          static_cast<std::uint8_t>(format >> 8), static_cast<std::uint8_t>(format),
          static_cast<std::uint8_t>(ntrks >> 8), static_cast<std::uint8_t>(ntrks),
          static_cast<std::uint8_t>(division >> 8), static_cast<std::uint8_t>(division)};
}

/// A chunk with the given id and a length field of `length` (default: the body's size).
inline Bytes chunk(const char (&id)[5], const Bytes& body, std::int64_t length = -1) {
  Bytes out{static_cast<std::uint8_t>(id[0]), static_cast<std::uint8_t>(id[1]), static_cast<std::uint8_t>(id[2]),
            static_cast<std::uint8_t>(id[3])};
  append(out, be32(length < 0 ? static_cast<std::uint32_t>(body.size()) : static_cast<std::uint32_t>(length)));
  append(out, body);
  return out;
}

inline Bytes mtrk(const Bytes& body, std::int64_t length = -1) { return chunk("MTrk", body, length); }

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) append(out, p);
  return out;
}

inline std::span<const std::byte> as_bytes(const Bytes& b) { return std::as_bytes(std::span(b)); }

/// End of Track with delta 0.
inline const Bytes kEot{0x00, 0xFF, 0x2F, 0x00};

}  // namespace midisift::test
