#include "midisift/parse/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/iostreams/device/mapped_file.hpp>
#include <cerrno>
#include <cstring>
#include <exception>
#include <limits>

namespace midisift::parse {

struct InputFile::Impl {
  boost::iostreams::mapped_file_source map;
};

InputFile::InputFile() noexcept = default;
InputFile::InputFile(InputFile&&) noexcept = default;
InputFile& InputFile::operator=(InputFile&&) noexcept = default;
InputFile::~InputFile() = default;

namespace {

std::int64_t mtime_of(const struct stat& st) noexcept {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// Why stat() failed, told apart: a path gone since it was listed, a dangling link, anything else.
OpenError stat_error(const std::filesystem::path& path, int err) {
  if (err == ENOENT) {
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) != 0) return {Fatal::Vanished, "no such file (it vanished after it was listed)"};
    if (S_ISLNK(lst.st_mode)) return {Fatal::Io, "broken symbolic link (its target does not exist)"};
  }
  return {Fatal::Io, std::strerror(err)};
}

// The checks shared by both access modes; false with `error` filled when the file cannot be used.
bool usable(const struct stat& st, OpenError& error) {
  if (S_ISDIR(st.st_mode)) {
    error = {Fatal::NotAFile, "is a directory"};
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = {Fatal::NotAFile, "is not a regular file"};
    return false;
  }
  if (st.st_size == 0) {
    // mmap of zero bytes fails with EINVAL: handle before mapping.
    error = {Fatal::EmptyFile, "file is empty (0 bytes)"};
    return false;
  }
  if (static_cast<std::uintmax_t>(st.st_size) > std::numeric_limits<std::uint32_t>::max()) {
    error = {Fatal::TooLarge, "file is larger than 4 GiB"};
    return false;
  }
  return true;
}

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

}  // namespace

bool InputFile::open(const std::filesystem::path& path, OpenError& error, Access access) noexcept {
  close();
  size_ = 0;
  mtime_ns_ = 0;
  if (access == Access::Map) {
    struct stat st {};
    // stat() follows symlinks, so a link to a regular file is mapped like the file itself.
    if (::stat(path.c_str(), &st) != 0) {
      error = stat_error(path, errno);
      return false;
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
    mtime_ns_ = mtime_of(st);
    if (!usable(st, error)) return false;
    try {
      auto impl = std::make_unique<Impl>();
      impl->map.open(path.string());
      if (!impl->map.is_open()) {
        error = {Fatal::Io, "could not map file"};
        return false;
      }
      impl_ = std::move(impl);
      bytes_ = {reinterpret_cast<const std::byte*>(impl_->map.data()), impl_->map.size()};
      return true;
    } catch (const std::exception& e) {
      // Boost reports the errno text in what(), e.g. "failed opening file: Permission denied".
      error = {Fatal::Io, e.what()};
      return false;
    }
  }

  // O_NONBLOCK: opening a FIFO named *.mid must not hang the scan; it is refused below as not a
  // regular file. Reads of regular files ignore the flag.
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    const int err = errno;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      size_ = static_cast<std::uint64_t>(st.st_size);
      mtime_ns_ = mtime_of(st);
      error = {Fatal::Io, std::strerror(err)};
    } else {
      error = stat_error(path, err);
    }
    return false;
  }
  struct stat before {};
  if (::fstat(fd.get(), &before) != 0) {
    error = {Fatal::Io, std::strerror(errno)};
    return false;
  }
  size_ = static_cast<std::uint64_t>(before.st_size);
  mtime_ns_ = mtime_of(before);
  if (!usable(before, error)) return false;
  const auto want = static_cast<std::size_t>(before.st_size);
  try {
    if (buffer_capacity_ < want) {
      buffer_.reset();  // free first: the peak is one buffer, not two
      buffer_capacity_ = 0;
      buffer_ = std::make_unique_for_overwrite<std::byte[]>(want);
      buffer_capacity_ = want;
    }
  } catch (const std::bad_alloc&) {
    error = {Fatal::Io, "out of memory reading the file"};
    return false;
  }
  std::size_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(fd.get(), buffer_.get() + got, want - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      error = {Fatal::Io, std::strerror(errno)};
      return false;
    }
    if (n == 0) break;  // shorter than fstat said: caught by the check below
    got += static_cast<std::size_t>(n);
  }
  struct stat after {};
  if (::fstat(fd.get(), &after) != 0) {
    error = {Fatal::Io, std::strerror(errno)};
    return false;
  }
  if (got != want || after.st_size != before.st_size || mtime_of(after) != mtime_of(before)) {
    size_ = static_cast<std::uint64_t>(after.st_size);
    mtime_ns_ = mtime_of(after);
    error = {Fatal::Unstable, "size or modification time changed while the file was read (still being written?)"};
    return false;
  }
  bytes_ = {buffer_.get(), want};
  return true;
}

void InputFile::close() noexcept {
  impl_.reset();
  bytes_ = {};
}

std::span<const std::byte> InputFile::bytes() const noexcept { return bytes_; }

}  // namespace midisift::parse
