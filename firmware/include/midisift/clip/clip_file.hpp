// The clip file: a 64-byte header then the 7-byte events, sorted by tick. Byte-by-byte layout and
// the rules behind each check: firmware/FORMAT.md. Header-only, no heap: shared by the host
// exporter (`midisift clips`) and the looper's firmware.
#pragma once

#include <cstddef>
#include <cstdint>

#include "midisift/clip/bytes.hpp"
#include "midisift/clip/crc32.hpp"
#include "midisift/clip/event.hpp"
#include "midisift/clip/status.hpp"

namespace midisift::clip {

inline constexpr std::uint8_t kClipMagic[4] = {'M', 'S', 'C', 'L'};
inline constexpr std::uint8_t kClipVersionMajor = 1;  ///< a reader refuses any other major version
inline constexpr std::uint8_t kClipVersionMinor = 0;  ///< newer minors only add header fields
inline constexpr std::size_t kClipHeaderSize = 64;    ///< size written by this version
inline constexpr std::size_t kClipHeaderMaxSize = 1024;
inline constexpr std::size_t kClipNameSize = 24;      ///< display name field, NUL-padded ASCII
inline constexpr std::uint32_t kClipMaxEvents = 1U << 20;

/// The decoded header of a clip file (FORMAT.md "Clip file").
struct ClipHeader {
  std::uint8_t version_major = kClipVersionMajor;
  std::uint8_t version_minor = kClipVersionMinor;
  std::uint16_t header_size = kClipHeaderSize;  ///< bytes before the first event
  std::uint16_t ppq = 96;                       ///< ticks per quarter note, 1-32767
  std::uint32_t loop_ticks = 0;                 ///< loop length in ticks, >= 1; events lie in [0, loop_ticks]
  std::uint16_t bars = 0;                       ///< loop length in bars, >= 1
  std::uint8_t numerator = 4;                   ///< time signature at the loop start
  std::uint8_t denominator = 4;                 ///< note value of the beat: 1, 2, 4, ..., 64
  std::uint32_t tempo_us = 500000;              ///< microseconds per quarter note (SMF 1.0 Set Tempo), 1-0xFFFFFF
  std::uint32_t event_count = 0;
  char name[kClipNameSize] = {};                ///< printable ASCII, NUL-terminated
  std::uint32_t payload_crc = 0;                ///< CRC-32 of the event_count * 7 event bytes

  [[nodiscard]] constexpr std::uint32_t payload_size() const noexcept { return event_count * kEventSize; }
  [[nodiscard]] constexpr std::uint32_t file_size() const noexcept { return header_size + payload_size(); }
};

/// Checks the fields of `h` against their ranges (FORMAT.md): BadHeader when one is outside.
[[nodiscard]] constexpr Status check_fields(const ClipHeader& h) noexcept {
  const bool pow2 = h.denominator != 0 && (h.denominator & (h.denominator - 1)) == 0 && h.denominator <= 64;
  if (h.ppq == 0 || h.ppq > 32767 || h.loop_ticks == 0 || h.bars == 0 || h.numerator == 0 || !pow2 ||
      h.tempo_us == 0 || h.tempo_us > 0xFFFFFFU || h.event_count > kClipMaxEvents || h.name[kClipNameSize - 1] != 0) {
    return Status::BadHeader;
  }
  for (char c : h.name) {
    if (c == 0) break;
    if (c < 0x20 || c > 0x7E) return Status::BadHeader;
  }
  return Status::Ok;
}

/// Writes the 64-byte header of `h` (version 1.0; `h.header_size` ignored) into `out[0..64)`, with
/// its header CRC. `h.payload_crc` must already hold the events' CRC.
constexpr void encode_header(const ClipHeader& h, std::uint8_t* out) noexcept {
  for (std::size_t i = 0; i < kClipHeaderSize; ++i) out[i] = 0;
  for (int i = 0; i < 4; ++i) out[i] = kClipMagic[i];
  out[4] = kClipVersionMajor;
  out[5] = kClipVersionMinor;
  detail::put_u16(out + 6, static_cast<std::uint16_t>(kClipHeaderSize));
  detail::put_u16(out + 8, h.ppq);
  detail::put_u32(out + 12, h.loop_ticks);
  detail::put_u16(out + 16, h.bars);
  out[18] = h.numerator;
  out[19] = h.denominator;
  detail::put_u32(out + 20, h.tempo_us);
  detail::put_u32(out + 24, h.event_count);
  for (std::size_t i = 0; i < kClipNameSize && h.name[i] != 0; ++i) out[28 + i] = static_cast<std::uint8_t>(h.name[i]);
  out[28 + kClipNameSize - 1] = 0;
  detail::put_u32(out + 52, h.payload_crc);
  detail::put_u32(out + 60, crc32(out, kClipHeaderSize - 4));
}

/// Reads the fixed part of a header: `in` holds the first `size` bytes of the file, at least 8.
/// BadMagic, UnsupportedVersion (other major), Truncated (fewer than header_size bytes given or
/// header_size < 64), BadHeader (header_size over 1024, or a field out of range), BadChecksum.
/// A newer minor version's larger header is accepted: its CRC is the last 4 bytes of header_size.
[[nodiscard]] constexpr Status decode_header(const std::uint8_t* in, std::size_t size, ClipHeader& h) noexcept {
  if (size < 8) return Status::Truncated;
  for (int i = 0; i < 4; ++i) {
    if (in[i] != kClipMagic[i]) return Status::BadMagic;
  }
  if (in[4] != kClipVersionMajor) return Status::UnsupportedVersion;
  h.version_major = in[4];
  h.version_minor = in[5];
  h.header_size = detail::get_u16(in + 6);
  if (h.header_size > kClipHeaderMaxSize) return Status::BadHeader;
  if (h.header_size < kClipHeaderSize || size < h.header_size) return Status::Truncated;
  if (crc32(in, h.header_size - 4U) != detail::get_u32(in + h.header_size - 4)) return Status::BadChecksum;
  h.ppq = detail::get_u16(in + 8);
  h.loop_ticks = detail::get_u32(in + 12);
  h.bars = detail::get_u16(in + 16);
  h.numerator = in[18];
  h.denominator = in[19];
  h.tempo_us = detail::get_u32(in + 20);
  h.event_count = detail::get_u32(in + 24);
  if (!detail::get_text(in + 28, kClipNameSize, h.name)) return Status::BadHeader;
  h.payload_crc = detail::get_u32(in + 52);
  return check_fields(h);
}

/// Whether `e` may stand at position `previous_tick` .. in a clip of `loop_ticks`: a channel voice
/// message (status 0x80-0xEF, MIDI 1.0) with data bytes <= 127, tick >= the previous event's, and
/// tick < loop_ticks, except a note-off (0x8n, or 0x9n velocity 0), which may stand at loop_ticks
/// itself: it ends a note cut at the loop end and plays before the next pass starts.
[[nodiscard]] constexpr bool valid_event(const Event& e, std::uint32_t previous_tick, std::uint32_t loop_ticks) noexcept {
  if (e.status < 0x80 || e.status >= 0xF0 || e.data1 > 0x7F || e.data2 > 0x7F || e.tick < previous_tick) return false;
  const bool note_off = (e.status & 0xF0U) == 0x80 || ((e.status & 0xF0U) == 0x90 && e.data2 == 0);
  return e.tick < loop_ticks || (e.tick == loop_ticks && note_off);
}

namespace detail {
constexpr bool header_round_trips() {
  ClipHeader h;
  h.ppq = 384;
  h.loop_ticks = 4 * 4 * 384;
  h.bars = 4;
  h.numerator = 3;
  h.denominator = 8;
  h.tempo_us = 461538;
  h.event_count = 12;
  h.name[0] = 'A';
  h.name[1] = 'b';
  h.payload_crc = 0xDEADBEEFU;
  std::uint8_t b[kClipHeaderSize] = {};
  encode_header(h, b);
  ClipHeader d;
  if (decode_header(b, kClipHeaderSize, d) != Status::Ok) return false;
  return d.ppq == h.ppq && d.loop_ticks == h.loop_ticks && d.bars == h.bars && d.numerator == 3 &&
         d.denominator == 8 && d.tempo_us == h.tempo_us && d.event_count == 12 && d.name[0] == 'A' &&
         d.name[1] == 'b' && d.name[2] == 0 && d.payload_crc == h.payload_crc;
}
}  // namespace detail
static_assert(detail::header_round_trips());

}  // namespace midisift::clip
