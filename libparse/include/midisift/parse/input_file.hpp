// A whole input file in memory: memory-mapped (Boost.Iostreams `mapped_file_source`, kept out of
// this header) or read into a buffer the object reuses.
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
  Fatal code;           ///< EmptyFile, NotAFile, TooLarge, Io, Vanished or Unstable
  std::string message;  ///< e.g. "is a directory", "Permission denied"
};

/// How `InputFile::open` brings the bytes in.
///  - `Map`: mmap, zero copy. A file truncated by another process while mapped raises SIGBUS on
///    the next access to the lost pages, which kills the process: use only on files nobody writes.
///  - `Read`: read() into a buffer owned by the `InputFile` and reused by the next `open` (it only
///    grows). Safe against concurrent writers: the file is stat()ed before and after reading, and a
///    change of size or modification time in between gives `Fatal::Unstable`.
enum class Access : std::uint8_t { Map, Read };

/// A whole file in memory for the duration of this object's life (or until the next `open`).
///
/// `open` never throws: a zero-length file (which cannot be mapped), a directory (even one named
/// `*.mid`), a file over 4 GiB or any OS error comes back as an `OpenError`. A path that no
/// longer exists gives `Fatal::Vanished`; a symbolic link whose target does not exist gives
/// `Fatal::Io` ("broken symbolic link").
class InputFile {
 public:
  InputFile() noexcept;
  InputFile(InputFile&&) noexcept;
  InputFile& operator=(InputFile&&) noexcept;
  ~InputFile();

  /// Maps or reads `path`. On failure returns false and fills `error`; the object is then empty.
  [[nodiscard]] bool open(const std::filesystem::path& path, OpenError& error, Access access = Access::Map) noexcept;
  void close() noexcept;

  /// The file's bytes; valid until `close`, the next `open` or destruction.
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept;
  /// Size in bytes and modification time (nanoseconds since the Unix epoch) from the last
  /// `open`, also a failed one once the file could be stat()ed; 0 otherwise.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] std::int64_t mtime_ns() const noexcept { return mtime_ns_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<std::byte[]> buffer_;  // Access::Read; capacity buffer_capacity_, reused
  std::size_t buffer_capacity_ = 0;
  std::span<const std::byte> bytes_;
  std::uint64_t size_ = 0;
  std::int64_t mtime_ns_ = 0;
};

}  // namespace midisift::parse
