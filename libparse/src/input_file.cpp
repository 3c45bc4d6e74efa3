#include "midisift/parse/input_file.hpp"

#include <sys/stat.h>

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

bool InputFile::open(const std::filesystem::path& path, OpenError& error) noexcept {
  close();
  size_ = 0;
  mtime_ns_ = 0;
  struct stat st {};
  // stat() follows symlinks, so a link to a regular file is mapped like the file itself.
  if (::stat(path.c_str(), &st) != 0) {
    error = {Fatal::Io, std::strerror(errno)};
    return false;
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  mtime_ns_ = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
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
  try {
    auto impl = std::make_unique<Impl>();
    impl->map.open(path.string());
    if (!impl->map.is_open()) {
      error = {Fatal::Io, "could not map file"};
      return false;
    }
    impl_ = std::move(impl);
    return true;
  } catch (const std::exception& e) {
    // Boost reports the errno text in what(), e.g. "failed opening file: Permission denied".
    error = {Fatal::Io, e.what()};
    return false;
  }
}

void InputFile::close() noexcept { impl_.reset(); }

std::span<const std::byte> InputFile::bytes() const noexcept {
  if (!impl_) return {};
  return {reinterpret_cast<const std::byte*>(impl_->map.data()), impl_->map.size()};
}

}  // namespace midisift::parse
