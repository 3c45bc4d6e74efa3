// libFuzzer target: the clip-file decoder of the firmware library (FORMAT.md "Clip file"), as the
// looper meets a file on its card: verify_clip_file, mount (index rebuild), acquire into the event
// pool, one loop pass of a Cursor.
//
// Input: byte 0 holds flags, the rest is the file. Flag bit 0 asks the harness to write both CRCs
// (payload, then header) before the test, so that mutations get past the checksums and reach the
// field and event checks behind them.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "card_fixture.hpp"
#include "fuzz_check.hpp"
#include "midisift/clip/bytes.hpp"
#include "midisift/clip/crc32.hpp"
#include "midisift/clip/cursor.hpp"
#include "midisift/clip/library.hpp"
#include "midisift/clip/memory_file_system.hpp"

namespace {

using namespace midisift::clip;

constexpr std::size_t kMaxFile = std::size_t{64} * 1024;
using Fixture = midisift::fuzz::CardFixture<16, kMaxFile>;
using Card = Fixture::Card;

// Makes both CRCs of a clip file match its content where the header says where they are.
void fix_crcs(std::uint8_t* file, std::size_t size) {
  if (size < kClipHeaderSize) return;
  const std::size_t header_size = detail::get_u16(file + 6);
  if (header_size < kClipHeaderSize || header_size > size) return;
  const std::uint64_t payload = std::uint64_t{detail::get_u32(file + 24)} * kEventSize;
  if (header_size + payload <= size) {
    detail::put_u32(file + 52, crc32(file + header_size, static_cast<std::size_t>(payload)));
  }
  detail::put_u32(file + header_size - 4, crc32(file, header_size - 4));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size - 1 > kMaxFile) return -1;  // -1: libFuzzer keeps no such input
  static std::array<std::uint8_t, kMaxFile> file;
  const std::size_t file_size = size - 1;
  std::memcpy(file.data(), data + 1, file_size);
  if ((data[0] & 1U) != 0) fix_crcs(file.data(), file_size);

  Fixture fixture;
  Card& card = fixture.card();
  Library& library = fixture.library();
  FUZZ_CHECK(library.format() == Status::Ok, "format an empty card");
  fixture.put("/clips/FUZZ.CLP", file.data(), file_size);

  std::array<std::uint8_t, kClipHeaderMaxSize> scratch{};
  ClipHeader header;
  const Status verified = verify_clip_file(card, "/clips/FUZZ.CLP", header, scratch);
  ClipHeader decoded;
  const Status header_status = decode_header(file.data(), file_size, decoded);
  if (verified == Status::Ok) {
    FUZZ_CHECK(header_status == Status::Ok, "a verified file has a valid header");
    FUZZ_CHECK(header.file_size() == file_size, "a verified file is exactly header + events");
    FUZZ_CHECK(crc32(file.data() + header.header_size, header.payload_size()) == header.payload_crc,
               "a verified payload matches its CRC");
    std::uint32_t previous = 0;
    for (std::uint32_t i = 0; i < header.event_count; ++i) {
      const Event e = decode(file.data() + header.header_size + std::size_t{i} * kEventSize);
      FUZZ_CHECK(valid_event(e, previous, header.loop_ticks), "every event of a verified clip is valid");
      previous = e.tick;
    }
  }

  MountReport report;
  FUZZ_CHECK(library.mount(&report) == Status::Ok, "a card with any clip file mounts");
  FUZZ_CHECK(report.clips == (verified == Status::Ok ? 1 : 0), "the index holds the clip exactly when it verifies");
  FUZZ_CHECK(report.invalid_clips == (verified == Status::Ok ? 0 : 1), "an invalid clip is reported");

  ClipRef ref;
  const Status acquired = library.acquire("FUZZ.CLP", ref);
  if (verified != Status::Ok) {
    FUZZ_CHECK(acquired != Status::Ok, "an invalid clip never loads");
  } else if (acquired == Status::Ok) {
    const LoadedClip& clip = library.clip(ref);
    FUZZ_CHECK(clip.header.event_count == header.event_count, "the loaded clip has every event");
    // One pass of the loop in windows of (at most) `step` ticks plays every event once, in order
    // (at most ~4,096 windows, whatever the loop length).
    Cursor cursor(clip.span(), clip.header.loop_ticks);
    const std::uint32_t step = std::max<std::uint32_t>(7, clip.header.loop_ticks / 4096 + 1);
    std::uint32_t played = 0;
    while (cursor.passes() == 0) {
      const std::uint32_t window = std::min(step, clip.header.loop_ticks - cursor.position());
      cursor.advance(window, [&](const Event& e, std::uint32_t offset) {
        FUZZ_CHECK(offset <= window, "an event inside its window (or at its end, for the loop boundary)");
        FUZZ_CHECK(played < clip.header.event_count && e == clip.events[played], "events in clip order");
        ++played;
      });
    }
    FUZZ_CHECK(cursor.passes() == 1 && played == clip.header.event_count, "one pass plays every event once");
    library.release(ref);
    FUZZ_CHECK(library.check_canaries() == 0, "no write past a pool allocation");
  } else {
    FUZZ_CHECK(acquired == Status::CapacityFull && header.event_count + (kCanaries ? 1U : 0U) > kPoolEvents,
               "a valid clip loads unless it is larger than the pool");
  }
  return 0;
}
