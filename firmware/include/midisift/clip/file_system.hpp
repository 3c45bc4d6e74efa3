// The small file-system interface the clip library runs on: open, read, write, sync, close, rename,
// unlink, mkdir, stat and a directory listing, modelled on FatFs (f_open ... f_readdir), whose
// semantics every backend follows: rename never replaces an existing target (FatFs f_rename gives
// FR_EXIST), and data written is durable only after sync or close.
//
// Backends: HostFileSystem (a folder on the host, host builds only), MemoryFileSystem (fixed
// buffers, can cut the power after any write; tests), FatFsFileSystem (compiled only when the build
// is pointed at the user's FatFs with -DMIDISIFT_FATFS_DIR).
#pragma once

#include <cstddef>
#include <cstdint>

#include "midisift/clip/status.hpp"

namespace midisift::clip {

/// Longest path a backend must accept, NUL included ("/undo/track16/U15.CLP", long names).
inline constexpr std::size_t kMaxPath = 64;

enum class OpenMode : std::uint8_t {
  Read,         ///< existing file, reading from its start
  CreateWrite,  ///< create, or truncate an existing file, for writing
};

/// An open file of a backend; `id` is the backend's slot, -1 when not open.
struct FileHandle {
  int id = -1;
  [[nodiscard]] constexpr bool open() const noexcept { return id >= 0; }
};

struct FileInfo {
  std::uint32_t size = 0;  ///< bytes; 0 for a folder
  bool directory = false;
};

/// Receives the entries of a folder, one call each ("." and ".." left out). Returning false stops
/// the listing early.
class DirVisitor {
 public:
  virtual bool entry(const char* name, const FileInfo& info) noexcept = 0;

 protected:
  ~DirVisitor() = default;
};

/// Paths are absolute from the card's root, '/'-separated, at most kMaxPath - 1 bytes.
class FileSystem {
 public:
  /// NotFound (Read of a missing file or a missing parent folder), CapacityFull (too many open
  /// files), IoError.
  virtual Status open(const char* path, OpenMode mode, FileHandle& file) noexcept = 0;
  /// Reads up to `size` bytes; `got` < `size` only at the end of the file.
  virtual Status read(FileHandle file, std::uint8_t* data, std::size_t size, std::size_t& got) noexcept = 0;
  /// Appends `size` bytes. CapacityFull when the medium is full, IoError.
  virtual Status write(FileHandle file, const std::uint8_t* data, std::size_t size) noexcept = 0;
  /// Makes everything written so far durable (FatFs f_sync).
  virtual Status sync(FileHandle file) noexcept = 0;
  /// Syncs and closes; the handle is invalid afterwards, whatever the status.
  virtual Status close(FileHandle file) noexcept = 0;
  /// Exists when `to` exists (never replaces); NotFound when `from` does not.
  virtual Status rename(const char* from, const char* to) noexcept = 0;
  /// NotFound when absent.
  virtual Status unlink(const char* path) noexcept = 0;
  /// Exists when already there.
  virtual Status mkdir(const char* path) noexcept = 0;
  /// NotFound when absent.
  virtual Status stat(const char* path, FileInfo& info) noexcept = 0;
  /// Calls `visitor` for each entry of folder `path`, in no particular order. NotFound when absent.
  virtual Status list(const char* path, DirVisitor& visitor) noexcept = 0;

 protected:
  ~FileSystem() = default;
};

}  // namespace midisift::clip
