// Result of every fallible firmware call. Nothing in the firmware library aborts or throws: each
// failure is one of these, and the caller decides.
#pragma once

#include <cstdint>

namespace midisift::clip {

enum class [[nodiscard]] Status : std::uint8_t {
  Ok,
  Truncated,           ///< input shorter than its declared content
  CapacityFull,        ///< a fixed pool, buffer or table has no room left
  BadEvent,            ///< an event that is not a channel voice message, or ticks out of order
  BadMagic,            ///< the file does not start with the magic of its kind
  UnsupportedVersion,  ///< a major version this build cannot read
  BadHeader,           ///< a header field out of its documented range
  BadChecksum,         ///< a CRC-32 does not match the bytes it covers
  NotFound,            ///< no such file, folder, clip or entry
  Exists,              ///< the target of a rename or mkdir already exists (FatFs semantics)
  IoError,             ///< the storage failed (or a power cut was simulated)
  InvalidArgument,     ///< a name, track number or parameter outside its documented range
  Busy,                ///< every cache slot is in use (pinned); release a clip first
};

/// A short English name for `s`, for logs and tests. Static storage, never null.
[[nodiscard]] constexpr const char* to_string(Status s) noexcept {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::Truncated: return "truncated";
    case Status::CapacityFull: return "capacity full";
    case Status::BadEvent: return "bad event";
    case Status::BadMagic: return "bad magic";
    case Status::UnsupportedVersion: return "unsupported version";
    case Status::BadHeader: return "bad header";
    case Status::BadChecksum: return "bad checksum";
    case Status::NotFound: return "not found";
    case Status::Exists: return "exists";
    case Status::IoError: return "i/o error";
    case Status::InvalidArgument: return "invalid argument";
    case Status::Busy: return "busy";
  }
  return "unknown";
}

}  // namespace midisift::clip
