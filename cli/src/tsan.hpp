// Happens-before edges that ThreadSanitizer cannot see by itself.
//
// oneTBB from Debian is not built with ThreadSanitizer, so the order it gives a pipeline (a token
// passes from stage to stage; a serial stage runs one call at a time; parallel_pipeline returns
// after the last stage) comes from synchronisation inside libtbb that TSan never observes, and
// TSan would report the stage bodies as racing with each other. The scan pipeline marks those edges
// with these calls (TSan's public annotation interface, <sanitizer/tsan_interface.h>); in every
// other build they compile to nothing. They add no synchronisation of their own: a real race
// between stages is still reported.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define MIDISIFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MIDISIFT_TSAN 1
#endif
#endif

#ifdef MIDISIFT_TSAN
#include <sanitizer/tsan_interface.h>
#include <tbb/task_arena.h>
#include <tbb/task_scheduler_observer.h>
#endif

namespace midisift::cli {

/// What the calling thread did so far happens before what a thread does after
/// `tsan_acquire(object)`.
inline void tsan_release([[maybe_unused]] const void* object) noexcept {
#ifdef MIDISIFT_TSAN
  __tsan_release(const_cast<void*>(object));
#endif
}

/// See tsan_release.
inline void tsan_acquire([[maybe_unused]] const void* object) noexcept {
#ifdef MIDISIFT_TSAN
  __tsan_acquire(const_cast<void*>(object));
#endif
}

/// The synchronisation object of TsanArenaEntry: one per process, at a fixed address, so that a
/// worker acquiring it reads nothing another thread wrote.
inline const char tsan_pipeline_built = 0;

/// Every thread that joins `arena` while this lives acquires `tsan_pipeline_built` on entry
/// (oneTBB's task_scheduler_observer::on_scheduler_entry), so what a thread did before
/// `tsan_release(&tsan_pipeline_built)` happens before anything a worker then does in the arena.
/// The scan builds its pipeline's filters (oneTBB's copies of the stage lambdas) on the calling
/// thread, releases, then runs the pipeline: without this edge a worker left over from an earlier
/// scan in the same process reads those copies with no happens-before TSan can see, and whether
/// TSan can then name the writer (and so apply tests/tsan.supp) depends on its finite access
/// history. A worker enters an arena only once the arena has work (a spawned task), hence after
/// the release.
#ifdef MIDISIFT_TSAN
class TsanArenaEntry final : public tbb::task_scheduler_observer {
 public:
  explicit TsanArenaEntry(tbb::task_arena& arena) : tbb::task_scheduler_observer(arena) { observe(true); }
  ~TsanArenaEntry() override { observe(false); }
  TsanArenaEntry(const TsanArenaEntry&) = delete;
  TsanArenaEntry& operator=(const TsanArenaEntry&) = delete;
  TsanArenaEntry(TsanArenaEntry&&) = delete;
  TsanArenaEntry& operator=(TsanArenaEntry&&) = delete;
  void on_scheduler_entry(bool /*is_worker*/) override { tsan_acquire(&tsan_pipeline_built); }
};
#else
class TsanArenaEntry {
 public:
  template <typename Arena>
  explicit TsanArenaEntry(Arena& /*arena*/) noexcept {}
};
#endif

}  // namespace midisift::cli
