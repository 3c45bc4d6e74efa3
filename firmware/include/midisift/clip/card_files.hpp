// The other files on the looper's card: the library index (/clips/INDEX.BIN), sessions
// (/sessions/*.SES) and the undo ring index of each track (/undo/trackN/UNDO.IDX). Each is a
// 16-byte header (magic, major/minor version, header size), fixed-size records whose size is in the
// header (so both can grow in a later minor version), and a trailing CRC-32 of everything before
// it. Byte-by-byte layout: firmware/FORMAT.md. Header-only, no heap.
#pragma once

#include <cstddef>
#include <cstdint>

#include "midisift/clip/bytes.hpp"
#include "midisift/clip/clip_file.hpp"
#include "midisift/clip/status.hpp"

namespace midisift::clip {

/// Longest file name stored in the index and sessions, NUL included: "NAME.CLP" in 8.3, and long
/// names (when the card's FatFs has FF_USE_LFN) up to 39 characters.
inline constexpr std::size_t kFileNameSize = 40;
inline constexpr std::size_t kCardHeaderSize = 16;
inline constexpr std::size_t kCrcSize = 4;

inline constexpr std::uint8_t kIndexMagic[4] = {'M', 'S', 'I', 'X'};
inline constexpr std::uint8_t kSessionMagic[4] = {'M', 'S', 'S', 'N'};
inline constexpr std::uint8_t kUndoMagic[4] = {'M', 'S', 'U', 'N'};
inline constexpr std::uint8_t kCardVersionMajor = 1;
inline constexpr std::uint8_t kCardVersionMinor = 0;

/// The common 16-byte header: 0 magic[4], 4 major, 5 minor, 6 header_size u16, 8 record_size u16,
/// 10 count u16 (records that follow), 12 `extra` u32 (the kind's own field: a session's tempo; an
/// undo ring's depth and head in bytes 12-13; 0 in the index).
struct CardHeader {
  std::uint8_t version_minor = kCardVersionMinor;
  std::uint16_t header_size = kCardHeaderSize;
  std::uint16_t record_size = 0;
  std::uint16_t count = 0;
  std::uint32_t extra = 0;
};

constexpr void encode_card_header(const std::uint8_t (&magic)[4], const CardHeader& h, std::uint8_t* out) noexcept {
  for (int i = 0; i < 4; ++i) out[i] = magic[i];
  out[4] = kCardVersionMajor;
  out[5] = kCardVersionMinor;
  detail::put_u16(out + 6, static_cast<std::uint16_t>(kCardHeaderSize));
  detail::put_u16(out + 8, h.record_size);
  detail::put_u16(out + 10, h.count);
  detail::put_u32(out + 12, h.extra);
}

/// Decodes the 16-byte header of a card file of kind `magic`, whose total size is `file_size`.
/// Checks magic, major version, header size (16-256), record size (at least `min_record_size`, at
/// most 1024) and that header + count records + CRC is exactly `file_size` (else Truncated).
[[nodiscard]] constexpr Status decode_card_header(const std::uint8_t (&magic)[4], const std::uint8_t* in,
                                                  std::uint32_t file_size, std::size_t min_record_size,
                                                  CardHeader& h) noexcept {
  if (file_size < kCardHeaderSize + kCrcSize) return Status::Truncated;
  for (int i = 0; i < 4; ++i) {
    if (in[i] != magic[i]) return Status::BadMagic;
  }
  if (in[4] != kCardVersionMajor) return Status::UnsupportedVersion;
  h.version_minor = in[5];
  h.header_size = detail::get_u16(in + 6);
  h.record_size = detail::get_u16(in + 8);
  h.count = detail::get_u16(in + 10);
  h.extra = detail::get_u32(in + 12);
  if (h.header_size < kCardHeaderSize || h.header_size > 256 || h.record_size < min_record_size ||
      h.record_size > 1024) {
    return Status::BadHeader;
  }
  const std::uint32_t expected = h.header_size + static_cast<std::uint32_t>(h.count) * h.record_size + kCrcSize;
  return expected == file_size ? Status::Ok : Status::Truncated;
}

/// One clip of the library index (96 bytes): enough to list the library without opening each
/// clip, and the payload CRC that ties the entry to the file's content.
struct IndexEntry {
  char file[kFileNameSize] = {};  ///< file name inside /clips, e.g. "DRUMS01.CLP"
  char name[kClipNameSize] = {};  ///< the clip's display name (as in its header)
  std::uint32_t loop_ticks = 0;
  std::uint16_t ppq = 0;
  std::uint16_t bars = 0;
  std::uint32_t event_count = 0;
  std::uint32_t payload_crc = 0;
  std::uint32_t tempo_us = 0;
  std::uint8_t numerator = 0;
  std::uint8_t denominator = 0;
};
inline constexpr std::size_t kIndexEntrySize = 96;

/// The index entry describing clip file `file` with header `h`.
[[nodiscard]] constexpr IndexEntry make_entry(const char* file, const ClipHeader& h) noexcept {
  IndexEntry e;
  for (std::size_t i = 0; i + 1 < kFileNameSize && file[i] != 0; ++i) e.file[i] = file[i];
  for (std::size_t i = 0; i + 1 < kClipNameSize && h.name[i] != 0; ++i) e.name[i] = h.name[i];
  e.loop_ticks = h.loop_ticks;
  e.ppq = h.ppq;
  e.bars = h.bars;
  e.event_count = h.event_count;
  e.payload_crc = h.payload_crc;
  e.tempo_us = h.tempo_us;
  e.numerator = h.numerator;
  e.denominator = h.denominator;
  return e;
}

constexpr void encode_entry(const IndexEntry& e, std::uint8_t* out) noexcept {
  for (std::size_t i = 0; i < kIndexEntrySize; ++i) out[i] = 0;
  (void)detail::put_text(out, kFileNameSize, e.file);
  (void)detail::put_text(out + 40, kClipNameSize, e.name);
  detail::put_u32(out + 64, e.loop_ticks);
  detail::put_u16(out + 68, e.ppq);
  detail::put_u16(out + 70, e.bars);
  detail::put_u32(out + 72, e.event_count);
  detail::put_u32(out + 76, e.payload_crc);
  detail::put_u32(out + 80, e.tempo_us);
  out[84] = e.numerator;
  out[85] = e.denominator;
}

/// BadHeader when a text field is not NUL-padded printable ASCII or the file name is empty.
[[nodiscard]] constexpr Status decode_entry(const std::uint8_t* in, IndexEntry& e) noexcept {
  if (!detail::get_text(in, kFileNameSize, e.file) || e.file[0] == 0 ||
      !detail::get_text(in + 40, kClipNameSize, e.name)) {
    return Status::BadHeader;
  }
  e.loop_ticks = detail::get_u32(in + 64);
  e.ppq = detail::get_u16(in + 68);
  e.bars = detail::get_u16(in + 70);
  e.event_count = detail::get_u32(in + 72);
  e.payload_crc = detail::get_u32(in + 76);
  e.tempo_us = detail::get_u32(in + 80);
  e.numerator = in[84];
  e.denominator = in[85];
  return Status::Ok;
}

/// One track of a session (48 bytes).
struct SessionTrack {
  char file[kFileNameSize] = {};  ///< clip file in /clips; empty: no clip on this track
  bool muted = false;
  std::uint8_t volume = 100;      ///< MIDI volume, 0-127
};
inline constexpr std::size_t kSessionTrackSize = 48;
inline constexpr std::size_t kSessionMaxTracks = 16;

/// A session: which clip plays on which track, at which tempo.
struct Session {
  std::uint32_t tempo_us = 500000;  ///< microseconds per quarter note
  std::uint8_t track_count = 0;     ///< 1-16
  SessionTrack tracks[kSessionMaxTracks] = {};
};

/// Encoded size of `s`: header, tracks, CRC.
[[nodiscard]] constexpr std::size_t session_size(const Session& s) noexcept {
  return kCardHeaderSize + s.track_count * kSessionTrackSize + kCrcSize;
}

/// Writes `s` into `out[0..session_size(s))`. InvalidArgument for 0 or more than 16 tracks, a
/// tempo outside 1-0xFFFFFF or a volume over 127.
[[nodiscard]] constexpr Status encode_session(const Session& s, std::uint8_t* out) noexcept {
  if (s.track_count == 0 || s.track_count > kSessionMaxTracks || s.tempo_us == 0 || s.tempo_us > 0xFFFFFFU) {
    return Status::InvalidArgument;
  }
  CardHeader h;
  h.record_size = kSessionTrackSize;
  h.count = s.track_count;
  h.extra = s.tempo_us;
  encode_card_header(kSessionMagic, h, out);
  std::uint8_t* p = out + kCardHeaderSize;
  for (std::size_t t = 0; t < s.track_count; ++t, p += kSessionTrackSize) {
    for (std::size_t i = 0; i < kSessionTrackSize; ++i) p[i] = 0;
    if (!detail::put_text(p, kFileNameSize, s.tracks[t].file) || s.tracks[t].volume > 127) return Status::InvalidArgument;
    p[40] = s.tracks[t].muted ? 1 : 0;
    p[41] = s.tracks[t].volume;
  }
  detail::put_u32(p, crc32(out, static_cast<std::size_t>(p - out)));
  return Status::Ok;
}

/// Reads a whole session file `in[0..size)`.
[[nodiscard]] constexpr Status decode_session(const std::uint8_t* in, std::uint32_t size, Session& s) noexcept {
  CardHeader h;
  if (const Status st = decode_card_header(kSessionMagic, in, size, kSessionTrackSize, h); st != Status::Ok) return st;
  if (crc32(in, size - kCrcSize) != detail::get_u32(in + size - kCrcSize)) return Status::BadChecksum;
  if (h.count == 0 || h.count > kSessionMaxTracks || h.extra == 0 || h.extra > 0xFFFFFFU) return Status::BadHeader;
  s.tempo_us = h.extra;
  s.track_count = static_cast<std::uint8_t>(h.count);
  const std::uint8_t* p = in + h.header_size;
  for (std::size_t t = 0; t < h.count; ++t, p += h.record_size) {
    if (!detail::get_text(p, kFileNameSize, s.tracks[t].file) || p[40] > 1 || p[41] > 127) return Status::BadHeader;
    s.tracks[t].muted = p[40] == 1;
    s.tracks[t].volume = p[41];
  }
  return Status::Ok;
}

/// The undo ring of one track: `slots` snapshot files U0.CLP .. U{slots-1}.CLP, of which at most
/// slots - 1 are in use, so a push always writes a file the index does not reference and the index
/// rewrite is the single commit point.
inline constexpr std::size_t kUndoMaxSlots = 16;
inline constexpr std::size_t kUndoSlotSize = 8;

struct UndoRing {
  std::uint8_t slots = 0;      ///< snapshot files in the ring, 2-16
  std::uint8_t depth = 0;      ///< snapshots in use, 0 .. slots - 1
  std::uint8_t head = 0;       ///< slot of the most recent snapshot (meaningless when depth is 0)
  std::uint32_t seq[kUndoMaxSlots] = {};          ///< per slot: push sequence number, 0 when unused
  std::uint32_t payload_crc[kUndoMaxSlots] = {};  ///< per slot: the snapshot file's payload CRC

  /// Slot of the snapshot `back` steps before the most recent (0 = most recent), back < depth.
  [[nodiscard]] constexpr std::uint8_t slot_back(std::uint8_t back) const noexcept {
    return static_cast<std::uint8_t>((head + slots - back) % slots);
  }
};

[[nodiscard]] constexpr std::size_t undo_size(const UndoRing& r) noexcept {
  return kCardHeaderSize + r.slots * kUndoSlotSize + kCrcSize;
}

/// Writes `r` into `out[0..undo_size(r))`. InvalidArgument for fewer than 2 or more than 16 slots,
/// or a depth or head out of range.
[[nodiscard]] constexpr Status encode_undo(const UndoRing& r, std::uint8_t* out) noexcept {
  if (r.slots < 2 || r.slots > kUndoMaxSlots || r.depth >= r.slots || r.head >= r.slots) return Status::InvalidArgument;
  CardHeader h;
  h.record_size = kUndoSlotSize;
  h.count = r.slots;
  encode_card_header(kUndoMagic, h, out);
  out[12] = r.depth;
  out[13] = r.head;
  std::uint8_t* p = out + kCardHeaderSize;
  for (std::size_t i = 0; i < r.slots; ++i, p += kUndoSlotSize) {
    detail::put_u32(p, r.seq[i]);
    detail::put_u32(p + 4, r.payload_crc[i]);
  }
  detail::put_u32(p, crc32(out, static_cast<std::size_t>(p - out)));
  return Status::Ok;
}

/// Reads a whole undo ring index `in[0..size)`.
[[nodiscard]] constexpr Status decode_undo(const std::uint8_t* in, std::uint32_t size, UndoRing& r) noexcept {
  CardHeader h;
  if (const Status st = decode_card_header(kUndoMagic, in, size, kUndoSlotSize, h); st != Status::Ok) return st;
  if (crc32(in, size - kCrcSize) != detail::get_u32(in + size - kCrcSize)) return Status::BadChecksum;
  if (h.count < 2 || h.count > kUndoMaxSlots || in[12] >= h.count || in[13] >= h.count) return Status::BadHeader;
  r.slots = static_cast<std::uint8_t>(h.count);
  r.depth = in[12];
  r.head = in[13];
  const std::uint8_t* p = in + h.header_size;
  for (std::size_t i = 0; i < r.slots; ++i, p += h.record_size) {
    r.seq[i] = detail::get_u32(p);
    r.payload_crc[i] = detail::get_u32(p + 4);
  }
  return Status::Ok;
}

}  // namespace midisift::clip
