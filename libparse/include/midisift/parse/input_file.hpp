// Read-only memory-mapped input file (Boost.Iostreams `mapped_file_source`, kept out of this
// header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "midisift/parse/diagnostic.hpp"

namespace midisift::parse {

/// Opening problems, with the code the file gets in the database and a human message.
struct OpenError {
  Fatal code;           ///< EmptyFile, NotAFile, TooLarge or Io
  std::string message;  ///< e.g. "is a directory", "Permission denied"
};

/// A file mapped into memory for the duration of this object's life.
///
/// `open` never throws: a zero-length file (which cannot be mapped), a directory (even one named
/// `*.mid`), a file over 4 GiB or any OS error comes back as an `OpenError`.
class InputFile {
 public:
  InputFile() noexcept;
  InputFile(InputFile&&) noexcept;
  InputFile& operator=(InputFile&&) noexcept;
  ~InputFile();

  /// Maps `path`. On failure returns false and fills `error`; the object is then empty.
  [[nodiscard]] bool open(const std::filesystem::path& path, OpenError& error) noexcept;
  void close() noexcept;

  /// The mapped bytes; valid until `close`, the next `open` or destruction.
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept;
  /// Size in bytes and modification time (nanoseconds since the Unix epoch) from the last
  /// `open`, also a failed one once the file could be stat()ed; 0 otherwise.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] std::int64_t mtime_ns() const noexcept { return mtime_ns_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint64_t size_ = 0;
  std::int64_t mtime_ns_ = 0;
};

}  // namespace midisift::parse
