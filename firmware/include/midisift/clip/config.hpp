// Compile-time sizing of the firmware library. Override with -D (CMake cache variables of the same
// names). Defaults: 6 tracks of 1,024 events each, as MIDIbox LoopA.
#pragma once

#include <cstddef>

#ifndef MIDISIFT_CLIP_TRACKS
#define MIDISIFT_CLIP_TRACKS 6
#endif
#ifndef MIDISIFT_CLIP_EVENTS_PER_TRACK
#define MIDISIFT_CLIP_EVENTS_PER_TRACK 1024
#endif
#ifndef MIDISIFT_CLIP_CACHE_SLOTS
#define MIDISIFT_CLIP_CACHE_SLOTS (MIDISIFT_CLIP_TRACKS + 2)
#endif
#ifndef MIDISIFT_CLIP_UNDO_SLOTS
#define MIDISIFT_CLIP_UNDO_SLOTS 5
#endif
// Canaries after each event allocation: on in debug builds, or with -DMIDISIFT_CLIP_CANARIES=1.
#ifndef MIDISIFT_CLIP_CANARIES
#ifdef NDEBUG
#define MIDISIFT_CLIP_CANARIES 0
#else
#define MIDISIFT_CLIP_CANARIES 1
#endif
#endif

namespace midisift::clip {

inline constexpr std::size_t kTracks = MIDISIFT_CLIP_TRACKS;
inline constexpr std::size_t kEventsPerTrack = MIDISIFT_CLIP_EVENTS_PER_TRACK;
/// Events in the shared pool: every track's clip fits at once.
inline constexpr std::size_t kPoolEvents = kTracks * kEventsPerTrack;
/// Allocation unit of the event pool (a clip takes whole, contiguous blocks).
inline constexpr std::size_t kBlockEvents = 32;
inline constexpr std::size_t kPoolBlocks = (kPoolEvents + kBlockEvents - 1) / kBlockEvents;
/// Clips kept loaded (LRU): one per track plus spares for the next clips.
inline constexpr std::size_t kCacheSlots = MIDISIFT_CLIP_CACHE_SLOTS;
/// Snapshot files per track's undo ring; kUndoSlots - 1 undo steps.
inline constexpr std::size_t kUndoSlots = MIDISIFT_CLIP_UNDO_SLOTS;
inline constexpr bool kCanaries = MIDISIFT_CLIP_CANARIES != 0;

static_assert(kTracks >= 1 && kTracks <= 16, "the session format holds 1-16 tracks");
static_assert(kCacheSlots >= 1 && kCacheSlots <= 255);
static_assert(kUndoSlots >= 2 && kUndoSlots <= 16, "the undo ring index holds 2-16 slots");
static_assert(kPoolBlocks <= 0xFFFF);

}  // namespace midisift::clip
