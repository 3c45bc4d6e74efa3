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

}  // namespace midisift::cli
