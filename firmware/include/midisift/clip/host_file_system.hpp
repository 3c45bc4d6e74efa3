// A folder on the host standing for the card (host builds only: POSIX). Used by `midisift clips`
// to prepare a card and by the host tests. Follows FatFs semantics where POSIX differs: rename
// refuses to replace an existing target (Exists).
#pragma once

#include <array>
#include <string>

#include "midisift/clip/file_system.hpp"

namespace midisift::clip {

class HostFileSystem final : public FileSystem {
 public:
  /// `root`: the folder that is the card's "/". It must exist.
  explicit HostFileSystem(std::string root);
  ~HostFileSystem();
  HostFileSystem(const HostFileSystem&) = delete;
  HostFileSystem& operator=(const HostFileSystem&) = delete;

  Status open(const char* path, OpenMode mode, FileHandle& file) noexcept override;
  Status read(FileHandle file, std::uint8_t* data, std::size_t size, std::size_t& got) noexcept override;
  Status write(FileHandle file, const std::uint8_t* data, std::size_t size) noexcept override;
  Status sync(FileHandle file) noexcept override;
  Status close(FileHandle file) noexcept override;
  Status rename(const char* from, const char* to) noexcept override;
  Status unlink(const char* path) noexcept override;
  Status mkdir(const char* path) noexcept override;
  Status stat(const char* path, FileInfo& info) noexcept override;
  Status list(const char* path, DirVisitor& visitor) noexcept override;

  /// errno of the last failed call (0 after a success), for messages at the edge.
  [[nodiscard]] int last_errno() const noexcept { return errno_; }

 private:
  std::string full(const char* path) const;
  Status fail(int err) noexcept;

  std::string root_;
  std::array<int, 8> fds_{};
  int errno_ = 0;
};

}  // namespace midisift::clip
