// The looper's clip library on its card: load clips on demand into the event pool (LRU cache),
// save them atomically, keep the index, sessions and per-track undo rings. No heap, no exceptions:
// every call returns a Status and nothing aborts on bad input.
//
// Card layout (FORMAT.md): /clips/*.CLP and /clips/INDEX.BIN, /sessions/*.SES,
// /undo/track1 .. /undo/trackN holding U0.CLP .. and UNDO.IDX.
//
// Atomic save (FatFs's f_rename never overwrites): write NAME.XX~ (the extension's last letter
// replaced by '~'), sync, close; unlink NAME.EXT; rename NAME.XX~ to NAME.EXT. mount() finishes or
// discards a save cut short: a complete, valid temporary file replaces its target, an incomplete
// one is deleted. So after a power cut at any point a file holds its old or its new content.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "midisift/clip/card_files.hpp"
#include "midisift/clip/clip_file.hpp"
#include "midisift/clip/config.hpp"
#include "midisift/clip/file_system.hpp"
#include "midisift/clip/pool.hpp"
#include "midisift/clip/status.hpp"

namespace midisift::clip {

/// A clip in the cache. `events` points into the library's event pool and stays valid while the
/// clip is acquired (pinned); after release() a later acquire may evict it.
struct LoadedClip {
  char file[kFileNameSize] = {};
  ClipHeader header;
  const Event* events = nullptr;
  [[nodiscard]] std::span<const Event> span() const noexcept { return {events, header.event_count}; }
};

/// Slot of an acquired clip in the cache.
struct ClipRef {
  std::uint8_t slot = 0xFF;
  [[nodiscard]] constexpr bool valid() const noexcept { return slot != 0xFF; }
};

struct CacheStats {
  std::uint32_t hits = 0;
  std::uint32_t misses = 0;  ///< loads from the card
  std::uint32_t evictions = 0;
};

/// What mount() found and did.
struct MountReport {
  std::uint16_t clips = 0;               ///< entries in the index after mount
  std::uint8_t saves_completed = 0;      ///< interrupted saves finished from a valid temporary file
  std::uint8_t saves_discarded = 0;      ///< incomplete temporary files deleted
  bool index_rebuilt = false;            ///< the index was missing, damaged or out of step with the clips
  std::uint16_t invalid_clips = 0;       ///< .CLP files left out of the index because they do not verify
};

/// Checks a whole clip file (header, size, every event, both CRCs) through `scratch` (at least
/// kClipHeaderMaxSize bytes). Fills `header` on success.
[[nodiscard]] Status verify_clip_file(FileSystem& fs, const char* path, ClipHeader& header,
                                      std::span<std::uint8_t> scratch) noexcept;

/// True for a name the card accepts for a clip or session file: in 8.3 mode (`long_names`
/// false) 1-8 characters of A-Z 0-9 _ - then '.' and the extension; with long names up to 39
/// characters of A-Z a-z 0-9 _ - and single inner spaces or dots. Never "." / "..", a '/', or a
/// DOS device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9) as the base; the base INDEX is reserved.
[[nodiscard]] bool valid_file_name(const char* name, const char* extension, bool long_names) noexcept;

class Library {
 public:
  explicit Library(FileSystem& fs) noexcept : fs_(fs) {}

  /// Creates the card layout (folders and an empty index) where missing; keeps what is there.
  Status format(std::uint8_t tracks = kTracks) noexcept;

  /// Recovers interrupted saves in every folder of the layout, then checks the index against the
  /// clip files (each entry's file present with the same payload CRC and event count, no clip file
  /// left out) and rebuilds it from the clip headers when they differ. NotFound without /clips.
  /// Empties the cache.
  Status mount(MountReport* report = nullptr) noexcept;

  [[nodiscard]] std::uint16_t clip_count() const noexcept { return clip_count_; }
  /// Entry `i` of the index (0 .. clip_count()-1), read from the card.
  Status entry(std::uint16_t i, IndexEntry& out) noexcept;
  /// The index entry of clip file `file` ("NAME.CLP"); NotFound.
  Status find(const char* file, IndexEntry& out) noexcept;

  /// Loads clip `file` into the cache, or finds it there, and pins it. Errors of verify_clip_file,
  /// CapacityFull when it cannot fit in the event pool even after evicting every unpinned clip,
  /// Busy when every cache slot is pinned.
  Status acquire(const char* file, ClipRef& ref) noexcept;
  /// Unpins; the clip stays cached until evicted, least recently acquired or released first.
  void release(ClipRef ref) noexcept;
  /// The clip behind an acquired ref.
  [[nodiscard]] const LoadedClip& clip(ClipRef ref) const noexcept { return slots_[ref.slot].clip; }

  /// Saves clip `file` atomically and updates the index (itself saved atomically). `header`'s
  /// event_count and payload_crc are set from `events`. Events must satisfy valid_event (BadEvent)
  /// and the header check_fields (BadHeader); InvalidArgument for a bad file name. A cached copy of
  /// the old content is dropped (Busy if it is pinned).
  Status save_clip(const char* file, const ClipHeader& header, std::span<const Event> events,
                   bool update_index = true) noexcept;
  /// Rewrites the index from the clip files on the card (after saves with update_index false).
  Status rebuild_index(std::uint16_t* invalid = nullptr) noexcept;

  /// Copies the current content of clip `file` into track `track`'s undo ring (0-based track).
  Status undo_push(std::uint8_t track, const char* file) noexcept;
  /// Restores clip `file` from the most recent snapshot of `track`'s ring and drops that snapshot.
  /// NotFound when the ring is empty.
  Status undo_pop(std::uint8_t track, const char* file) noexcept;
  /// Snapshots in `track`'s ring.
  Status undo_depth(std::uint8_t track, std::uint8_t& depth) noexcept;

  /// Saves /sessions/`name` ("NAME.SES") atomically; every named clip must be in the index.
  Status save_session(const char* name, const Session& session) noexcept;
  Status load_session(const char* name, Session& session) noexcept;

  void set_long_names(bool on) noexcept { long_names_ = on; }
  [[nodiscard]] const PoolStats& event_pool_stats() const noexcept { return pool_.stats(); }
  [[nodiscard]] const PoolStats& slot_stats() const noexcept { return slot_stats_; }
  [[nodiscard]] const CacheStats& cache_stats() const noexcept { return cache_stats_; }
  /// Checks the guards of every loaded clip (0 when kCanaries is off).
  std::uint32_t check_canaries() noexcept { return pool_.check_canaries(); }

 private:
  struct Slot {
    bool used = false;
    std::uint8_t pins = 0;
    std::uint32_t last_use = 0;
    Event* storage = nullptr;
    LoadedClip clip;
  };

  Status load_into(const char* file, Slot& slot) noexcept;
  Status evict_one() noexcept;
  void drop_slot(Slot& slot) noexcept;
  Status drop_cached(const char* file) noexcept;
  Status read_index_header(CardHeader& h) noexcept;
  Status upsert_index(const IndexEntry& entry) noexcept;
  Status check_index(bool& consistent) noexcept;
  Status read_undo(std::uint8_t track, UndoRing& ring) noexcept;

  FileSystem& fs_;
  EventPool<kPoolBlocks, kBlockEvents> pool_;
  Slot slots_[kCacheSlots];
  PoolStats slot_stats_;
  CacheStats cache_stats_;
  std::uint32_t clock_ = 0;
  std::uint16_t clip_count_ = 0;
  bool mounted_ = false;
  bool long_names_ = false;
  std::uint8_t scratch_[kClipHeaderMaxSize] = {};
};

}  // namespace midisift::clip
