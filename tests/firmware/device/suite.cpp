// Firmware tests that run unchanged on the host and on a Cortex-M4 under QEMU: codec, pool, cursor,
// library (save, load, LRU cache), atomic saves under a power cut at every write, undo, sessions,
// and a card prepared by `midisift clips export` from real MIDI files.
#include <cstddef>
#include <cstdint>
#include <new>

#include "check.hpp"
#include "midisift/clip/card_files.hpp"
#include "midisift/clip/cursor.hpp"
#include "midisift/clip/library.hpp"
#include "midisift/clip/memory_file_system.hpp"

namespace {

using namespace midisift::clip;

using Card = MemoryFileSystem<48, std::size_t{12} * 1024>;

// Large objects live in static storage: the device's stack is small.
Card g_fs;
Library* g_library_storage = nullptr;
// The library under test is rebuilt in place (no heap): "a fresh boot".

alignas(Library) unsigned char g_library_bytes[sizeof(Library)];

template <class T>
void reset(T& object) {
  object.~T();
  new (&object) T();
}
Library& fresh_library(FileSystem& fs) {
  if (g_library_storage != nullptr) g_library_storage->~Library();
  g_library_storage = new (g_library_bytes) Library(fs);
  return *g_library_storage;
}

/// A library on an emptied card, formatted and mounted: where most tests start.
Library& formatted_library() {
  reset(g_fs);
  Library& lib = fresh_library(g_fs);
  FW_CHECK_OK(lib.format());
  FW_CHECK_OK(lib.mount());
  return lib;
}

Event g_events[256];

/// A clip of `n` events: note-on/note-off pairs every 24 ticks, pitch from `seed`.
std::size_t make_events(std::size_t n, std::uint8_t seed, std::uint32_t loop_ticks) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto tick = static_cast<std::uint32_t>((i / 2) * 24 % loop_ticks);
    g_events[i] = Event{tick, static_cast<std::uint8_t>(i % 2 == 0 ? 0x90 : 0x80),
                        static_cast<std::uint8_t>((seed + i / 2) % 128), static_cast<std::uint8_t>(i % 2 == 0 ? 100 : 0)};
  }
  // Keep ticks non-decreasing after the modulo.
  for (std::size_t i = 1; i < n; ++i) {
    if (g_events[i].tick < g_events[i - 1].tick) g_events[i].tick = g_events[i - 1].tick;
  }
  return n;
}

ClipHeader header(std::uint32_t loop_ticks, const char* name) {
  ClipHeader h;
  h.ppq = 96;
  h.loop_ticks = loop_ticks;
  h.bars = static_cast<std::uint16_t>(loop_ticks / 384 == 0 ? 1 : loop_ticks / 384);
  for (std::size_t i = 0; name[i] != 0 && i + 1 < kClipNameSize; ++i) h.name[i] = name[i];
  return h;
}

bool same_events(const LoadedClip& c, const Event* events, std::size_t n) {
  if (c.header.event_count != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(c.events[i] == events[i])) return false;
  }
  return true;
}

// --- codec ---------------------------------------------------------------------------------------

FW_TEST(ClipHeaderDetectsEveryCorruptedByte) {
  ClipHeader h = header(1536, "groove");
  h.event_count = 3;
  h.payload_crc = 0x12345678U;
  std::uint8_t b[kClipHeaderSize];
  encode_header(h, b);
  ClipHeader d;
  FW_CHECK_OK(decode_header(b, sizeof b, d));
  FW_CHECK(d.loop_ticks == 1536 && d.event_count == 3 && d.payload_crc == 0x12345678U && d.name[0] == 'g');
  int detected = 0;
  for (auto& byte : b) {
    byte ^= 0x20;
    if (decode_header(b, sizeof b, d) != Status::Ok) ++detected;
    byte ^= 0x20;
  }
  FW_CHECK(detected == static_cast<int>(kClipHeaderSize));
  b[4] = 2;  // major version 2
  FW_CHECK(decode_header(b, sizeof b, d) == Status::UnsupportedVersion);
  FW_CHECK(decode_header(b, 7, d) == Status::Truncated);
}

FW_TEST(EventRulesFollowTheFormat) {
  FW_CHECK(valid_event(Event{0, 0x90, 60, 100}, 0, 96));
  FW_CHECK(!valid_event(Event{0, 0xF0, 0, 0}, 0, 96));      // sysex is not a channel message
  FW_CHECK(!valid_event(Event{0, 0x90, 128, 0}, 0, 96));    // data byte over 127
  FW_CHECK(!valid_event(Event{5, 0x90, 60, 1}, 6, 96));     // tick before the previous one
  FW_CHECK(valid_event(Event{96, 0x80, 60, 0}, 0, 96));     // note-off at the loop end
  FW_CHECK(valid_event(Event{96, 0x90, 60, 0}, 0, 96));     // note-on velocity 0 = note-off
  FW_CHECK(!valid_event(Event{96, 0x90, 60, 1}, 0, 96));    // a note-on at the loop end
  FW_CHECK(!valid_event(Event{97, 0x80, 60, 0}, 0, 96));
}

FW_TEST(SessionAndUndoIndexRoundTripAndCarryACrc) {
  Session s;
  s.tempo_us = 480000;
  s.track_count = 3;
  s.tracks[0] = SessionTrack{"BASS.CLP", false, 90};
  s.tracks[2] = SessionTrack{"DRUMS.CLP", true, 127};
  std::uint8_t b[kCardHeaderSize + kSessionMaxTracks * kSessionTrackSize + kCrcSize];
  FW_CHECK_OK(encode_session(s, b));
  const auto size = static_cast<std::uint32_t>(session_size(s));
  Session d;
  FW_CHECK_OK(decode_session(b, size, d));
  FW_CHECK(d.tempo_us == 480000 && d.track_count == 3 && d.tracks[2].muted && d.tracks[0].volume == 90);
  FW_CHECK(d.tracks[1].file[0] == 0 && d.tracks[2].file[0] == 'D');
  b[20] ^= 1;
  FW_CHECK(decode_session(b, size, d) == Status::BadChecksum);
  FW_CHECK(decode_session(b, size - 1, d) == Status::Truncated);

  UndoRing r;
  r.slots = 5;
  r.depth = 2;
  r.head = 4;
  r.seq[4] = 9;
  r.payload_crc[4] = 0xABCDEF01U;
  std::uint8_t u[kCardHeaderSize + kUndoMaxSlots * kUndoSlotSize + kCrcSize];
  FW_CHECK_OK(encode_undo(r, u));
  UndoRing e;
  FW_CHECK_OK(decode_undo(u, static_cast<std::uint32_t>(undo_size(r)), e));
  FW_CHECK(e.slots == 5 && e.depth == 2 && e.head == 4 && e.seq[4] == 9 && e.payload_crc[4] == 0xABCDEF01U);
  FW_CHECK(e.slot_back(1) == 3 && e.slot_back(4) == 0);
  r.depth = 5;  // a full ring would leave no free slot
  FW_CHECK(encode_undo(r, u) == Status::InvalidArgument);
}

// --- pool and cursor -----------------------------------------------------------------------------

EventPool<8, 16> g_pool;

FW_TEST(EventPoolAllocatesContiguousRunsAndCountsFailures) {
  reset(g_pool);
  Event* a = nullptr;
  Event* b = nullptr;
  Event* c = nullptr;
  FW_CHECK_OK(g_pool.allocate(40, a));  // 3 blocks of 16, guard included
  FW_CHECK_OK(g_pool.allocate(16, b));
  FW_CHECK(g_pool.allocate(200, c) == Status::CapacityFull);
  FW_CHECK(g_pool.stats().allocations == 2 && g_pool.stats().failures == 1 && g_pool.stats().in_use == 56);
  FW_CHECK_OK(g_pool.free(a));
  FW_CHECK(g_pool.free(a) == Status::InvalidArgument);
  FW_CHECK(g_pool.stats().peak == 56 && g_pool.stats().in_use == 16);
  FW_CHECK_OK(g_pool.free(b));
  FW_CHECK(g_pool.allocate(0, c) == Status::InvalidArgument);
}

FW_TEST(CanaryDetectsAnOverrunInDebugBuilds) {
  reset(g_pool);
  Event* a = nullptr;
  FW_CHECK_OK(g_pool.allocate(10, a));
  a[10] = Event{1, 0x90, 1, 1};  // one past the end: a deliberate overrun
  if (kCanaries) {
    FW_CHECK(g_pool.check_canaries() == 1);
    FW_CHECK(g_pool.free(a) == Status::BadEvent);
    FW_CHECK(g_pool.stats().canary_violations == 2);
  } else {
    FW_CHECK(g_pool.check_canaries() == 0);
    (void)g_pool.free(a);
    fwtest::skip("canaries are off in this build (NDEBUG)");
  }
}

FW_TEST(CursorEmitsEachEventOncePerPassAndWraps) {
  const Event events[] = {{0, 0x90, 60, 100}, {10, 0x80, 60, 0}, {50, 0x90, 62, 100}, {100, 0x80, 62, 0}};
  for (std::uint32_t window : {1U, 8U, 40U, 100U, 250U, 1000U}) {
    Cursor cursor(events, 100);
    std::uint32_t seen[4] = {};
    std::uint64_t clock = 0;
    std::uint32_t last_time = 0;
    bool ordered = true;
    bool timed = true;
    while (clock < 1000) {
      cursor.advance(window, [&](const Event& e, std::uint32_t offset) {
        const std::uint32_t index = e.tick == 0 ? 0 : e.tick == 10 ? 1 : e.tick == 50 ? 2 : 3;
        const std::uint64_t when = clock + offset;
        ++seen[index];
        if (when < last_time) ordered = false;
        last_time = static_cast<std::uint32_t>(when);
        if (when % 100 != e.tick % 100) timed = false;
      });
      clock += window;
    }
    // 1000 ticks = 10 passes: each event 10 times (the loop-end note-off at 100, 200, ..., 1000).
    FW_CHECK(seen[0] == 10 && seen[1] == 10 && seen[2] == 10 && seen[3] == 10);
    FW_CHECK(ordered);
    FW_CHECK(timed);
    FW_CHECK(cursor.passes() == 10);
  }
  Cursor c(events, 100);
  c.seek(260);
  FW_CHECK(c.position() == 60);
  std::uint32_t n = 0;
  c.advance(40, [&](const Event& e, std::uint32_t offset) { n += (e.tick == 100 && offset == 40) ? 1 : 0; });
  FW_CHECK(n == 1);
}

// --- library -------------------------------------------------------------------------------------

FW_TEST(SavedClipLoadsWithTheSameEvents) {
  Library& lib = formatted_library();
  FW_CHECK(lib.clip_count() == 0);
  const std::size_t n = make_events(100, 40, 1536);
  FW_CHECK_OK(lib.save_clip("GROOVE.CLP", header(1536, "Groove"), {g_events, n}));
  FW_CHECK(lib.save_clip("../X.CLP", header(1536, "x"), {g_events, n}) == Status::InvalidArgument);
  FW_CHECK(lib.save_clip("CON.CLP", header(1536, "x"), {g_events, n}) == Status::InvalidArgument);
  FW_CHECK(lib.save_clip("toolongname.CLP", header(1536, "x"), {g_events, n}) == Status::InvalidArgument);
  MountReport report;
  Library& again = fresh_library(g_fs);
  FW_CHECK_OK(again.mount(&report));
  FW_CHECK(report.clips == 1 && !report.index_rebuilt);
  IndexEntry e;
  FW_CHECK_OK(again.find("GROOVE.CLP", e));
  FW_CHECK(e.event_count == 100 && e.loop_ticks == 1536 && e.name[0] == 'G');
  ClipRef ref;
  FW_CHECK_OK(again.acquire("GROOVE.CLP", ref));
  FW_CHECK(same_events(again.clip(ref), g_events, n));
  again.release(ref);
  FW_CHECK(again.acquire("NONE.CLP", ref) == Status::NotFound);
}

FW_TEST(DamagedClipIsRefusedAndLeftOutOfTheIndex) {
  Library& lib = formatted_library();
  const std::size_t n = make_events(20, 1, 768);
  FW_CHECK_OK(lib.save_clip("A.CLP", header(768, "a"), {g_events, n}));
  FW_CHECK_OK(lib.save_clip("B.CLP", header(768, "b"), {g_events, n}));
  std::size_t size = 0;
  std::uint8_t* bytes = g_fs.bytes("/clips/B.CLP", size);
  FW_CHECK(bytes != nullptr && size == kClipHeaderSize + n * kEventSize);
  if (bytes == nullptr) return;
  bytes[kClipHeaderSize + 13] ^= 0x01;  // velocity of the second event (a note-off: 0 -> 1 stays valid)
  Library& again = fresh_library(g_fs);
  MountReport report;
  FW_CHECK_OK(again.mount(&report));
  // Mount compares headers only (cheap); the payload is checked when the clip is loaded.
  FW_CHECK(!report.index_rebuilt && report.clips == 2);
  ClipRef ref;
  FW_CHECK(again.acquire("B.CLP", ref) == Status::BadChecksum);
  std::uint16_t invalid = 0;
  FW_CHECK_OK(again.rebuild_index(&invalid));
  FW_CHECK(invalid == 1 && again.clip_count() == 1);
  IndexEntry e;
  FW_CHECK(again.find("B.CLP", e) == Status::NotFound);
  FW_CHECK_OK(again.acquire("A.CLP", ref));
  FW_CHECK(again.event_pool_stats().in_use == n);  // the refused clip's events were given back
}

FW_TEST(CacheEvictsTheLeastRecentlyUsedUnpinnedClip) {
  Library& lib = formatted_library();
  char name[] = "C00.CLP";
  const std::size_t n = make_events(64, 3, 768);
  for (std::size_t i = 0; i < kCacheSlots + 2; ++i) {
    name[1] = static_cast<char>('0' + i / 10);
    name[2] = static_cast<char>('0' + i % 10);
    FW_CHECK_OK(lib.save_clip(name, header(768, name), {g_events, n}));
  }
  ClipRef refs[kCacheSlots + 2];
  for (std::size_t i = 0; i < kCacheSlots; ++i) {
    name[1] = static_cast<char>('0' + i / 10);
    name[2] = static_cast<char>('0' + i % 10);
    FW_CHECK_OK(lib.acquire(name, refs[i]));
  }
  // Every slot pinned: one more clip cannot come in.
  name[1] = static_cast<char>('0' + kCacheSlots / 10);
  name[2] = static_cast<char>('0' + kCacheSlots % 10);
  FW_CHECK(lib.acquire(name, refs[kCacheSlots]) == Status::Busy);
  // Release clip 1 then clip 0: clip 1 is the least recently used, so it goes first.
  lib.release(refs[1]);
  lib.release(refs[0]);
  FW_CHECK_OK(lib.acquire(name, refs[kCacheSlots]));
  FW_CHECK(lib.cache_stats().evictions == 1);
  FW_CHECK_OK(lib.acquire("C00.CLP", refs[0]));  // still cached: a hit
  FW_CHECK(lib.cache_stats().hits == 1);
  FW_CHECK(lib.acquire("C01.CLP", refs[1]) == Status::Busy);  // evicted, and every slot pinned again
  FW_CHECK(lib.slot_stats().peak == kCacheSlots && lib.check_canaries() == 0);
}

FW_TEST(SessionNamesOnlyClipsOfTheLibrary) {
  Library& lib = formatted_library();
  const std::size_t n = make_events(10, 5, 384);
  FW_CHECK_OK(lib.save_clip("BASS.CLP", header(384, "bass"), {g_events, n}));
  Session s;
  s.track_count = 2;
  s.tempo_us = 500000;
  s.tracks[0] = SessionTrack{"BASS.CLP", false, 100};
  FW_CHECK_OK(lib.save_session("SONG1.SES", s));
  s.tracks[1] = SessionTrack{"GONE.CLP", false, 100};
  FW_CHECK(lib.save_session("SONG2.SES", s) == Status::NotFound);
  Session loaded;
  FW_CHECK_OK(lib.load_session("SONG1.SES", loaded));
  FW_CHECK(loaded.track_count == 2 && loaded.tracks[0].file[0] == 'B' && loaded.tracks[1].file[0] == 0);
}

FW_TEST(UndoRestoresSnapshotsNewestFirst) {
  Library& lib = formatted_library();
  // Versions 0..6 of one clip; each save pushes the previous version first.
  for (std::uint8_t v = 0; v < 7; ++v) {
    if (v > 0) FW_CHECK_OK(lib.undo_push(0, "LOOP.CLP"));
    const std::size_t n = make_events(8 + v, v, 384);
    FW_CHECK_OK(lib.save_clip("LOOP.CLP", header(384, "loop"), {g_events, n}));
  }
  std::uint8_t depth = 0;
  FW_CHECK_OK(lib.undo_depth(0, depth));
  FW_CHECK(depth == kUndoSlots - 1);
  for (std::uint8_t back = 0; back < kUndoSlots - 1; ++back) {
    FW_CHECK_OK(lib.undo_pop(0, "LOOP.CLP"));
    const auto v = static_cast<std::uint8_t>(5 - back);
    const std::size_t n = make_events(8 + v, v, 384);
    ClipRef ref;
    FW_CHECK_OK(lib.acquire("LOOP.CLP", ref));
    FW_CHECK(same_events(lib.clip(ref), g_events, n));
    lib.release(ref);
  }
  FW_CHECK(lib.undo_pop(0, "LOOP.CLP") == Status::NotFound);
  FW_CHECK(lib.undo_push(static_cast<std::uint8_t>(kTracks), "LOOP.CLP") == Status::InvalidArgument);
}

// --- power cuts ----------------------------------------------------------------------------------

/// Loads LOOP.CLP after a remount and says which version it holds: 0 old, 1 new, -1 anything else.
int version_after_remount(std::size_t old_n, std::uint8_t old_seed, std::size_t new_n, std::uint8_t new_seed,
                          std::uint32_t loop) {
  Library& lib = fresh_library(g_fs);
  if (lib.mount() != Status::Ok) return -1;
  ClipRef ref;
  if (lib.acquire("LOOP.CLP", ref) != Status::Ok) return -1;
  IndexEntry e;
  if (lib.find("LOOP.CLP", e) != Status::Ok || e.payload_crc != lib.clip(ref).header.payload_crc) return -1;
  const LoadedClip& c = lib.clip(ref);
  int version = -1;
  make_events(old_n, old_seed, loop);
  if (same_events(c, g_events, old_n)) version = 0;
  make_events(new_n, new_seed, loop);
  if (same_events(c, g_events, new_n)) version = 1;
  lib.release(ref);
  return version;
}

FW_TEST(PowerCutAtEveryWriteOfASaveLeavesTheOldOrTheNewClip) {
  for (TearMode mode : {TearMode::DropUnsynced, TearMode::KeepHalf}) {
    std::uint32_t cuts = 0;
    std::uint32_t saw_old = 0;
    std::uint32_t saw_new = 0;
    for (std::uint32_t k = 0;; ++k) {
      reset(g_fs);
      Library& lib = fresh_library(g_fs);
      FW_CHECK_OK(lib.format());
      FW_CHECK_OK(lib.mount());
      std::size_t n = make_events(150, 10, 1536);
      FW_CHECK_OK(lib.save_clip("LOOP.CLP", header(1536, "old"), {g_events, n}));
      n = make_events(90, 77, 1536);
      g_fs.cut_power_after(k, mode);
      const Status s = lib.save_clip("LOOP.CLP", header(1536, "new"), {g_events, n});
      const bool cut = !g_fs.powered();
      g_fs.power_on();
      const int v = version_after_remount(150, 10, 90, 77, 1536);
      FW_CHECK(v == 0 || v == 1);
      if (!cut) {
        FW_CHECK_OK(s);
        FW_CHECK(v == 1);
        break;
      }
      ++cuts;
      saw_old += v == 0 ? 1 : 0;
      saw_new += v == 1 ? 1 : 0;
    }
    // A save is many writes (clip file, its rename, the index and its rename): every one was cut.
    FW_CHECK(cuts >= 10 && saw_old > 0 && saw_new > 0);
    fwtest::write("  power cuts tested: ");
    fwtest::write_number(cuts);
    fwtest::write(mode == TearMode::KeepHalf ? " (torn writes)\n" : " (unsynced data lost)\n");
  }
}

FW_TEST(PowerCutAtEveryWriteOfAnUndoPushKeepsTheRingConsistent) {
  std::uint32_t cuts = 0;
  for (std::uint32_t k = 0;; ++k) {
    reset(g_fs);
    Library& lib = fresh_library(g_fs);
    FW_CHECK_OK(lib.format());
    FW_CHECK_OK(lib.mount());
    // A full ring (4 snapshots of versions 0-3), then version 4 is current; push it under a cut.
    for (std::uint8_t v = 0; v <= kUndoSlots - 1; ++v) {
      if (v > 0) FW_CHECK_OK(lib.undo_push(0, "LOOP.CLP"));
      const std::size_t n = make_events(8 + v, v, 384);
      FW_CHECK_OK(lib.save_clip("LOOP.CLP", header(384, "loop"), {g_events, n}));
    }
    g_fs.cut_power_after(k);
    const Status s = lib.undo_push(0, "LOOP.CLP");
    const bool cut = !g_fs.powered();
    g_fs.power_on();
    Library& again = fresh_library(g_fs);
    FW_CHECK_OK(again.mount());
    std::uint8_t depth = 0;
    FW_CHECK_OK(again.undo_depth(0, depth));
    FW_CHECK(depth == kUndoSlots - 1);
    // Newest snapshot: version 4 if the push landed, else version 3; then strictly older ones.
    ClipRef ref;
    FW_CHECK_OK(again.undo_pop(0, "LOOP.CLP"));
    FW_CHECK_OK(again.acquire("LOOP.CLP", ref));
    const std::uint8_t top = again.clip(ref).header.event_count == 12 ? 4 : 3;
    FW_CHECK(again.clip(ref).header.event_count == 8U + top);
    again.release(ref);
    FW_CHECK_OK(again.undo_pop(0, "LOOP.CLP"));
    FW_CHECK_OK(again.acquire("LOOP.CLP", ref));
    FW_CHECK(again.clip(ref).header.event_count == 8U + top - 1);
    again.release(ref);
    if (!cut) {
      FW_CHECK_OK(s);
      FW_CHECK(top == 4);
      break;
    }
    ++cuts;
  }
  FW_CHECK(cuts >= 6);
  fwtest::write("  power cuts tested: ");
  fwtest::write_number(cuts);
  fwtest::write("\n");
}

// --- a card prepared on the host from real MIDI files ------------------------------------------

std::uint8_t g_file[16 * 1024];

FW_TEST(CardPreparedByTheExporterLoadsEveryClip) {
#ifndef MIDISIFT_TEST_CARD
  fwtest::skip("no card prepared (MIDISIFT_TEST_CARD not set at build time)");
#else
  const char* root = MIDISIFT_TEST_CARD;
  char path[256];
  auto host_path = [&](const char* rel) {
    std::size_t i = 0;
    for (; root[i] != 0 && i < 200; ++i) path[i] = root[i];
    for (std::size_t j = 0; rel[j] != 0 && i < 255; ++j) path[i++] = rel[j];
    path[i] = 0;
    return path;
  };
  std::size_t size = 0;
  if (!fwtest::read_host_file(host_path("/clips/INDEX.BIN"), g_file, sizeof g_file, size)) {
    fwtest::skip("the card was not prepared (no ../shared/corpus at build time?)");
    return;
  }
  // Copy the card into the memory file system, file by file as the index names them.
  reset(g_fs);
  Library& lib = fresh_library(g_fs);
  FW_CHECK_OK(lib.format());
  CardHeader h;
  FW_CHECK_OK(decode_card_header(kIndexMagic, g_file, static_cast<std::uint32_t>(size), kIndexEntrySize, h));
  FW_CHECK(h.count >= 4);
  static IndexEntry entries[40];
  const std::uint16_t count = h.count < 40 ? h.count : 40;
  for (std::uint16_t i = 0; i < count; ++i) {
    FW_CHECK_OK(decode_entry(g_file + h.header_size + std::size_t{i} * h.record_size, entries[i]));
  }
  for (std::uint16_t i = 0; i < count; ++i) {
    char rel[64] = "/clips/";
    for (std::size_t j = 0; entries[i].file[j] != 0 && j < 40; ++j) rel[7 + j] = entries[i].file[j];
    std::size_t clip_size = 0;
    FW_CHECK(fwtest::read_host_file(host_path(rel), g_file, sizeof g_file, clip_size));
    FileHandle f;
    FW_CHECK_OK(g_fs.open(rel, OpenMode::CreateWrite, f));
    FW_CHECK_OK(g_fs.write(f, g_file, clip_size));
    FW_CHECK_OK(g_fs.close(f));
  }
  MountReport report;
  FW_CHECK_OK(lib.mount(&report));
  FW_CHECK(report.clips == count && report.invalid_clips == 0);
  std::uint32_t events = 0;
  for (std::uint16_t i = 0; i < count; ++i) {
    ClipRef ref;
    FW_CHECK_OK(lib.acquire(entries[i].file, ref));
    if (!ref.valid()) continue;
    const LoadedClip& c = lib.clip(ref);
    FW_CHECK(c.header.event_count == entries[i].event_count && c.header.payload_crc == entries[i].payload_crc);
    // One pass of the loop plays every event once.
    Cursor cursor(c.span(), c.header.loop_ticks);
    std::uint32_t played = 0;
    cursor.advance(c.header.loop_ticks, [&](const Event&, std::uint32_t) { ++played; });
    FW_CHECK(played == c.header.event_count);
    events += played;
    lib.release(ref);
  }
  FW_CHECK(lib.check_canaries() == 0);
  fwtest::write("  clips loaded from the card: ");
  fwtest::write_number(count);
  fwtest::write(", events played: ");
  fwtest::write_number(events);
  fwtest::write("\n");
#endif
}

}  // namespace
