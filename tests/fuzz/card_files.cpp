// libFuzzer target: the decoders of the card's own files (FORMAT.md): sessions (MSSN), undo-ring
// indexes (MSUN) and the library index (MSIX), each read the way the looper reads it, on a card
// that also holds a real clip and a real undo snapshot of it.
//
// Input: byte 0 selects the file (bits 0-1: 0 session, 1 undo ring, 2 or 3 index) and bit 2 asks the
// harness to write the trailing CRC-32, so that mutations get past the checksum; the rest is the
// file.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "card_fixture.hpp"
#include "fuzz_check.hpp"
#include "midisift/clip/bytes.hpp"
#include "midisift/clip/crc32.hpp"
#include "midisift/clip/library.hpp"
#include "midisift/clip/memory_file_system.hpp"

namespace {

using namespace midisift::clip;

constexpr std::size_t kMaxFile = std::size_t{16} * 1024;
using Fixture = midisift::fuzz::CardFixture<24, kMaxFile>;
using Card = Fixture::Card;

bool same(const Session& a, const Session& b) {
  if (a.tempo_us != b.tempo_us || a.track_count != b.track_count) return false;
  for (std::size_t t = 0; t < a.track_count; ++t) {
    if (std::strcmp(a.tracks[t].file, b.tracks[t].file) != 0 || a.tracks[t].muted != b.tracks[t].muted ||
        a.tracks[t].volume != b.tracks[t].volume) {
      return false;
    }
  }
  return true;
}

bool same(const UndoRing& a, const UndoRing& b) {
  if (a.slots != b.slots || a.depth != b.depth || a.head != b.head) return false;
  for (std::size_t i = 0; i < a.slots; ++i) {
    if (a.seq[i] != b.seq[i] || a.payload_crc[i] != b.payload_crc[i]) return false;
  }
  return true;
}

// What a decoder accepted, its encoder writes back (at most MaxSize bytes) and the decoder reads
// again as the same value.
template <std::size_t MaxSize, class T, class Encode, class Decode>
void check_round_trip(const T& decoded, Encode encode, Decode decode, std::size_t size) {
  std::array<std::uint8_t, MaxSize> out{};
  FUZZ_CHECK(encode(decoded, out.data()) == Status::Ok, "a decoded file encodes");
  T again;
  FUZZ_CHECK(decode(out.data(), static_cast<std::uint32_t>(size), again) == Status::Ok && same(decoded, again),
             "a file survives encode and decode");
}

// A card with one clip, A.CLP, and one undo snapshot of it on track 1.
void prepare(Library& library) {
  FUZZ_CHECK(library.format() == Status::Ok, "format");
  ClipHeader h;
  h.loop_ticks = 384;
  h.bars = 1;
  std::memcpy(h.name, "fuzz", 5);
  const std::array<Event, 2> events{Event{0, 0x90, 60, 100}, Event{96, 0x80, 60, 0}};
  FUZZ_CHECK(library.save_clip("A.CLP", h, events) == Status::Ok, "save a clip");
  FUZZ_CHECK(library.undo_push(0, "A.CLP") == Status::Ok, "snapshot it");
}

void check_session(Fixture& fixture, const std::uint8_t* file, std::uint32_t size) {
  Library& library = fixture.library();
  Session decoded;
  const Status status = decode_session(file, size, decoded);
  if (status == Status::Ok) {
    check_round_trip<kCardHeaderSize + kSessionMaxTracks * kSessionTrackSize + kCrcSize>(
        decoded, encode_session, decode_session, session_size(decoded));
  }
  fixture.put("/sessions/FUZZ.SES", file, size);
  Session loaded;
  const Status load = library.load_session("FUZZ.SES", loaded);
  // The library reads the file through a fixed buffer, so a valid but oversized file may be refused;
  // it never accepts what the decoder refuses, nor reads something else.
  if (status != Status::Ok) FUZZ_CHECK(load != Status::Ok, "loading refuses what decoding refuses");
  if (load == Status::Ok) FUZZ_CHECK(status == Status::Ok && same(decoded, loaded), "the library reads what the decoder reads");
}

void check_undo(Fixture& fixture, const std::uint8_t* file, std::uint32_t size) {
  Library& library = fixture.library();
  UndoRing decoded;
  if (decode_undo(file, size, decoded) == Status::Ok) {
    check_round_trip<kCardHeaderSize + kUndoMaxSlots * kUndoSlotSize + kCrcSize>(decoded, encode_undo, decode_undo,
                                                                                 undo_size(decoded));
  }
  fixture.put("/undo/track1/UNDO.IDX", file, size);
  std::uint8_t depth = 0;
  if (library.undo_depth(0, depth) == Status::Ok) FUZZ_CHECK(depth < kUndoMaxSlots, "depth within the ring");
  // Whatever the ring says, popping it leaves a clip that verifies (the snapshot or the old one).
  (void)library.undo_pop(0, "A.CLP");
  std::array<std::uint8_t, kClipHeaderMaxSize> scratch{};
  ClipHeader h;
  FUZZ_CHECK(verify_clip_file(fixture.card(), "/clips/A.CLP", h, scratch) == Status::Ok, "the clip survives an undo");
  FUZZ_CHECK(library.mount() == Status::Ok && library.clip_count() == 1, "the card still mounts with its clip");
}

void check_index(Fixture& fixture, const std::uint8_t* file, std::uint32_t size) {
  Library& library = fixture.library();
  CardHeader header;
  if (size >= kCardHeaderSize + kCrcSize &&
      decode_card_header(kIndexMagic, file, size, kIndexEntrySize, header) == Status::Ok) {
    for (std::uint32_t i = 0; i < header.count; ++i) {
      IndexEntry e;
      (void)decode_entry(file + header.header_size + std::size_t{i} * header.record_size, e);
    }
  }
  fixture.put("/clips/INDEX.BIN", file, size);
  MountReport report;
  FUZZ_CHECK(library.mount(&report) == Status::Ok, "any index: the card mounts");
  FUZZ_CHECK(library.clip_count() == 1 && report.clips == 1, "the index ends up listing the one clip");
  IndexEntry entry;
  FUZZ_CHECK(library.find("A.CLP", entry) == Status::Ok && entry.event_count == 2, "and its entry is right");
  ClipRef ref;
  FUZZ_CHECK(library.acquire("A.CLP", ref) == Status::Ok, "the clip loads");
  library.release(ref);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size - 1 > kMaxFile) return -1;
  static std::array<std::uint8_t, kMaxFile> file;
  const auto file_size = static_cast<std::uint32_t>(size - 1);
  std::memcpy(file.data(), data + 1, file_size);
  if ((data[0] & 4U) != 0 && file_size >= kCrcSize) {
    detail::put_u32(file.data() + file_size - kCrcSize, crc32(file.data(), file_size - kCrcSize));
  }
  Fixture fixture;
  prepare(fixture.library());
  switch (data[0] & 3U) {
    case 0: check_session(fixture, file.data(), file_size); break;
    case 1: check_undo(fixture, file.data(), file_size); break;
    default: check_index(fixture, file.data(), file_size); break;
  }
  return 0;
}
