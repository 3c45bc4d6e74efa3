// The FileSystem interface on ChaN's FatFs (R0.14/R0.15 API: f_open, f_read, f_write, f_sync,
// f_close, f_rename, f_unlink, f_mkdir, f_stat, f_opendir/f_readdir). Compiled only when the build
// is pointed at the user's FatFs (-DMIDISIFT_FATFS_DIR=folder with ff.h and ffconf.h); FatFs is
// never vendored. The volume must be mounted (f_mount) by the application first. Paths are passed
// through unchanged, so with several volumes prefix them as FatFs expects ("0:/clips").
#pragma once

#include "ff.h"
#include "midisift/clip/file_system.hpp"

namespace midisift::clip {

template <std::size_t MaxOpen = 4>
class FatFsFileSystem final : public FileSystem {
 public:
  Status open(const char* path, OpenMode mode, FileHandle& file) noexcept override {
    file = FileHandle{};
    for (std::size_t i = 0; i < MaxOpen; ++i) {
      if (used_[i]) continue;
      const BYTE flags = mode == OpenMode::Read ? FA_READ : static_cast<BYTE>(FA_WRITE | FA_CREATE_ALWAYS);
      if (const Status s = map(f_open(&files_[i], path, flags)); s != Status::Ok) return s;
      used_[i] = true;
      file.id = static_cast<int>(i);
      return Status::Ok;
    }
    return Status::CapacityFull;
  }
  Status read(FileHandle file, std::uint8_t* data, std::size_t size, std::size_t& got) noexcept override {
    got = 0;
    FIL* f = handle(file);
    if (f == nullptr) return Status::InvalidArgument;
    UINT n = 0;
    const Status s = map(f_read(f, data, static_cast<UINT>(size), &n));
    got = n;
    return s;
  }
  Status write(FileHandle file, const std::uint8_t* data, std::size_t size) noexcept override {
    FIL* f = handle(file);
    if (f == nullptr) return Status::InvalidArgument;
    UINT n = 0;
    if (const Status s = map(f_write(f, data, static_cast<UINT>(size), &n)); s != Status::Ok) return s;
    return n == size ? Status::Ok : Status::CapacityFull;  // FatFs: bw < btw means the volume is full
  }
  Status sync(FileHandle file) noexcept override {
    FIL* f = handle(file);
    return f == nullptr ? Status::InvalidArgument : map(f_sync(f));
  }
  Status close(FileHandle file) noexcept override {
    FIL* f = handle(file);
    if (f == nullptr) return Status::InvalidArgument;
    used_[file.id] = false;
    return map(f_close(f));
  }
  Status rename(const char* from, const char* to) noexcept override { return map(f_rename(from, to)); }
  Status unlink(const char* path) noexcept override { return map(f_unlink(path)); }
  Status mkdir(const char* path) noexcept override { return map(f_mkdir(path)); }
  Status stat(const char* path, FileInfo& info) noexcept override {
    if (path[0] == '/' && path[1] == '\0') {  // f_stat does not answer for the root folder
      info = FileInfo{0, true};
      return Status::Ok;
    }
    FILINFO fno;
    if (const Status s = map(f_stat(path, &fno)); s != Status::Ok) return s;
    info.directory = (fno.fattrib & AM_DIR) != 0;
    info.size = info.directory ? 0U : static_cast<std::uint32_t>(fno.fsize);
    return Status::Ok;
  }
  Status list(const char* path, DirVisitor& visitor) noexcept override {
    DIR dir;
    if (const Status s = map(f_opendir(&dir, path)); s != Status::Ok) return s;
    FILINFO fno;
    Status s = Status::Ok;
    for (;;) {
      s = map(f_readdir(&dir, &fno));
      if (s != Status::Ok || fno.fname[0] == 0) break;
      const FileInfo info{(fno.fattrib & AM_DIR) != 0 ? 0U : static_cast<std::uint32_t>(fno.fsize),
                          (fno.fattrib & AM_DIR) != 0};
      if (!visitor.entry(fno.fname, info)) break;
    }
    const Status closed = map(f_closedir(&dir));
    return s != Status::Ok ? s : closed;
  }

 private:
  static Status map(FRESULT r) noexcept {
    switch (r) {
      case FR_OK: return Status::Ok;
      case FR_NO_FILE:
      case FR_NO_PATH: return Status::NotFound;
      case FR_EXIST: return Status::Exists;
      case FR_INVALID_NAME:
      case FR_INVALID_OBJECT:
      case FR_INVALID_PARAMETER: return Status::InvalidArgument;
      case FR_TOO_MANY_OPEN_FILES: return Status::CapacityFull;
      case FR_LOCKED: return Status::Busy;
      default: return Status::IoError;  // FR_DISK_ERR, FR_NOT_READY, FR_DENIED (full directory), ...
    }
  }
  FIL* handle(FileHandle file) noexcept {
    if (file.id < 0 || static_cast<std::size_t>(file.id) >= MaxOpen || !used_[file.id]) return nullptr;
    return &files_[file.id];
  }

  FIL files_[MaxOpen] = {};
  bool used_[MaxOpen] = {};
};

}  // namespace midisift::clip
