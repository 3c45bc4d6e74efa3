// Internal: paths, whole-file reads, atomic saves and their recovery, shared by the library's
// parts. Not installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "midisift/clip/card_files.hpp"
#include "midisift/clip/file_system.hpp"

namespace midisift::clip::detail {

using Path = char[kMaxPath];

/// `dir` + '/' + `name` into `out`; false when it does not fit.
bool join(Path& out, const char* dir, const char* name) noexcept;
bool copy(Path& out, const char* text) noexcept;
bool equal(const char* a, const char* b) noexcept;
std::size_t length(const char* s) noexcept;
/// "NAME.EXT" -> "NAME.EX~". False when `path` has no 3-letter extension.
bool temp_path(Path& out, const char* path) noexcept;

/// Writes a file's content to an open handle.
class Producer {
 public:
  virtual Status produce(FileSystem& fs, FileHandle file) noexcept = 0;

 protected:
  ~Producer() = default;
};

/// The atomic save described in library.hpp.
Status save_atomically(FileSystem& fs, const char* path, Producer& producer) noexcept;
/// Writes, syncs and closes `path` in place (for files nothing references yet).
Status write_file(FileSystem& fs, const char* path, Producer& producer) noexcept;
/// Reads all of a file of at most `buffer.size()` bytes (Truncated if larger).
Status read_all(FileSystem& fs, const char* path, std::span<std::uint8_t> buffer, std::uint32_t& size) noexcept;
/// Reads exactly `size` bytes (Truncated at an early end of file).
Status read_exact(FileSystem& fs, FileHandle file, std::uint8_t* data, std::size_t size) noexcept;

/// Finishes or discards the interrupted saves in folder `dir` (files whose name ends in '~').
Status recover_folder(FileSystem& fs, const char* dir, std::uint8_t& completed, std::uint8_t& discarded,
                      std::span<std::uint8_t> scratch) noexcept;

/// Header of a clip file, checked, with the file's size checked against it.
Status read_clip_header(FileSystem& fs, FileHandle file, std::uint32_t file_size, ClipHeader& header,
                        std::span<std::uint8_t> scratch) noexcept;
/// Streams the payload after read_clip_header: checks every event and the payload CRC; decodes
/// into `out` when not null (room for header.event_count events).
Status read_clip_payload(FileSystem& fs, FileHandle file, const ClipHeader& header, Event* out) noexcept;
/// Checks a whole index file; `header` gets its header.
Status verify_index_file(FileSystem& fs, const char* path, CardHeader& header) noexcept;

/// Closes `file` when it is open, keeping the first error.
class FileGuard {
 public:
  FileGuard(FileSystem& fs, FileHandle& file) noexcept : fs_(fs), file_(file) {}
  ~FileGuard() {
    if (file_.open()) (void)fs_.close(file_);
  }
  /// Closes now and reports the status (the handle is closed whatever happens).
  Status close() noexcept {
    const Status s = fs_.close(file_);
    file_ = FileHandle{};
    return s;
  }
  FileGuard(const FileGuard&) = delete;
  FileGuard& operator=(const FileGuard&) = delete;

 private:
  FileSystem& fs_;
  FileHandle& file_;
};

}  // namespace midisift::clip::detail
