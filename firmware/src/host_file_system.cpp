#include "midisift/clip/host_file_system.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace midisift::clip {

HostFileSystem::HostFileSystem(std::string root) : root_(std::move(root)) {
  fds_.fill(-1);
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

HostFileSystem::~HostFileSystem() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

std::string HostFileSystem::full(const char* path) const {
  std::string p = root_;
  if (path[0] != '/') p += '/';
  p += path;
  return p;
}

Status HostFileSystem::fail(int err) noexcept {
  errno_ = err;
  switch (err) {
    case ENOENT:
    case ENOTDIR: return Status::NotFound;
    case EEXIST:
    case ENOTEMPTY: return Status::Exists;
    case ENOSPC:
    case EDQUOT:
    case EFBIG: return Status::CapacityFull;
    case ENAMETOOLONG:
    case EINVAL:
    case EISDIR: return Status::InvalidArgument;
    default: return Status::IoError;
  }
}

Status HostFileSystem::open(const char* path, OpenMode mode, FileHandle& file) noexcept {
  file = FileHandle{};
  std::size_t slot = fds_.size();
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] < 0) {
      slot = i;
      break;
    }
  }
  if (slot == fds_.size()) return Status::CapacityFull;
  const int flags = mode == OpenMode::Read ? O_RDONLY : (O_WRONLY | O_CREAT | O_TRUNC);
  const int fd = ::open(full(path).c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return fail(errno);
  fds_[slot] = fd;
  file.id = static_cast<int>(slot);
  errno_ = 0;
  return Status::Ok;
}

Status HostFileSystem::read(FileHandle file, std::uint8_t* data, std::size_t size, std::size_t& got) noexcept {
  got = 0;
  if (!file.open() || static_cast<std::size_t>(file.id) >= fds_.size() || fds_[file.id] < 0) return Status::InvalidArgument;
  while (got < size) {
    const ssize_t n = ::read(fds_[file.id], data + got, size - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return Status::Ok;
}

Status HostFileSystem::write(FileHandle file, const std::uint8_t* data, std::size_t size) noexcept {
  if (!file.open() || static_cast<std::size_t>(file.id) >= fds_.size() || fds_[file.id] < 0) return Status::InvalidArgument;
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fds_[file.id], data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok;
}

Status HostFileSystem::sync(FileHandle file) noexcept {
  if (!file.open() || static_cast<std::size_t>(file.id) >= fds_.size() || fds_[file.id] < 0) return Status::InvalidArgument;
  return ::fsync(fds_[file.id]) == 0 ? Status::Ok : fail(errno);
}

Status HostFileSystem::close(FileHandle file) noexcept {
  if (!file.open() || static_cast<std::size_t>(file.id) >= fds_.size() || fds_[file.id] < 0) return Status::InvalidArgument;
  const int fd = std::exchange(fds_[file.id], -1);
  return ::close(fd) == 0 ? Status::Ok : fail(errno);
}

Status HostFileSystem::rename(const char* from, const char* to) noexcept {
  const std::string target = full(to);
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0) return Status::Exists;  // FatFs f_rename: FR_EXIST
  return ::rename(full(from).c_str(), target.c_str()) == 0 ? Status::Ok : fail(errno);
}

Status HostFileSystem::unlink(const char* path) noexcept {
  const std::string p = full(path);
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return fail(errno);
  const int rc = S_ISDIR(st.st_mode) ? ::rmdir(p.c_str()) : ::unlink(p.c_str());
  return rc == 0 ? Status::Ok : fail(errno);
}

Status HostFileSystem::mkdir(const char* path) noexcept {
  return ::mkdir(full(path).c_str(), 0755) == 0 ? Status::Ok : fail(errno);
}

Status HostFileSystem::stat(const char* path, FileInfo& info) noexcept {
  struct stat st {};
  if (::stat(full(path).c_str(), &st) != 0) return fail(errno);
  info.directory = S_ISDIR(st.st_mode);
  if (!info.directory && static_cast<unsigned long long>(st.st_size) > 0xFFFFFFFFULL) return Status::CapacityFull;
  info.size = info.directory ? 0U : static_cast<std::uint32_t>(st.st_size);
  return Status::Ok;
}

Status HostFileSystem::list(const char* path, DirVisitor& visitor) noexcept {
  const std::string dir = full(path);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return fail(errno);
  while (const dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat st {};
    const std::string child = dir + "/" + e->d_name;
    if (::stat(child.c_str(), &st) != 0) continue;
    FileInfo info;
    info.directory = S_ISDIR(st.st_mode);
    info.size = info.directory ? 0U : static_cast<std::uint32_t>(st.st_size);
    if (!visitor.entry(e->d_name, info)) break;
  }
  ::closedir(d);
  return Status::Ok;
}

}  // namespace midisift::clip
