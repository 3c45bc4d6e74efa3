// A file system in fixed buffers (no heap), for tests on the host and on the device: it can cut the
// power after any number of write operations, to prove that a save interrupted anywhere leaves the
// old or the new clip, never a corrupt one.
//
// Power-cut model (what FatFs on an SD card can leave behind): data written to a file becomes
// durable at sync or close; at a cut, each file falls back to its last durable size, or, with
// `TearMode::KeepHalf`, keeps half of the bytes written since (a torn write). Creating or truncating
// a file, rename, unlink and mkdir are durable at once (FatFs syncs the directory in f_rename,
// f_unlink and f_mkdir; a created file's entry can survive empty).
#pragma once

#include <cstddef>
#include <cstdint>

#include "midisift/clip/file_system.hpp"

namespace midisift::clip {

enum class TearMode : std::uint8_t { DropUnsynced, KeepHalf };

template <std::size_t MaxFiles, std::size_t MaxFileBytes, std::size_t MaxOpen = 4>
class MemoryFileSystem final : public FileSystem {
 public:
  /// The next `writes` write operations succeed; the one after fails with IoError and the power
  /// stays off (every call fails) until power_on(). Write operations: open for writing, write,
  /// sync, close of a written file, rename, unlink, mkdir.
  void cut_power_after(std::uint32_t writes, TearMode mode = TearMode::DropUnsynced) noexcept {
    budget_ = writes;
    armed_ = true;
    tear_ = mode;
  }
  /// Restores power: open files are dropped and each file keeps what the power-cut model says.
  void power_on() noexcept {
    for (auto& h : open_) h.used = false;
    for (auto& f : files_) {
      if (!f.used || f.directory) continue;
      if (f.size > f.durable) f.size = tear_ == TearMode::KeepHalf ? f.durable + (f.size - f.durable) / 2 : f.durable;
      f.durable = f.size;
    }
    powered_ = true;
    armed_ = false;
  }
  [[nodiscard]] bool powered() const noexcept { return powered_; }
  /// Write operations performed since construction (successful or not).
  [[nodiscard]] std::uint32_t writes() const noexcept { return writes_; }

  Status open(const char* path, OpenMode mode, FileHandle& file) noexcept override {
    file = FileHandle{};
    if (!powered_) return Status::IoError;
    int slot = -1;
    for (std::size_t i = 0; i < MaxOpen; ++i) {
      if (!open_[i].used) {
        slot = static_cast<int>(i);
        break;
      }
    }
    if (slot < 0) return Status::CapacityFull;
    int f = find(path);
    if (mode == OpenMode::Read) {
      if (f < 0 || files_[f].directory) return Status::NotFound;
    } else {
      if (f >= 0 && files_[f].directory) return Status::InvalidArgument;
      if (!parent_exists(path)) return Status::NotFound;
      if (const Status s = mutate(); s != Status::Ok) return s;
      if (f < 0) {
        f = create(path, false);
        if (f < 0) return Status::CapacityFull;
      }
      files_[f].size = 0;
      files_[f].durable = 0;
    }
    open_[slot] = Open{true, f, 0, mode == OpenMode::CreateWrite, false};
    file.id = slot;
    return Status::Ok;
  }

  Status read(FileHandle file, std::uint8_t* data, std::size_t size, std::size_t& got) noexcept override {
    got = 0;
    Open* h = handle(file);
    if (h == nullptr) return powered_ ? Status::InvalidArgument : Status::IoError;
    const File& f = files_[h->file];
    while (got < size && h->pos < f.size) data[got++] = f.data[h->pos++];
    return Status::Ok;
  }

  Status write(FileHandle file, const std::uint8_t* data, std::size_t size) noexcept override {
    Open* h = handle(file);
    if (h == nullptr || !h->writable) return powered_ ? Status::InvalidArgument : Status::IoError;
    if (const Status s = mutate(); s != Status::Ok) return s;
    File& f = files_[h->file];
    if (size > MaxFileBytes - f.size) return Status::CapacityFull;
    for (std::size_t i = 0; i < size; ++i) f.data[f.size++] = data[i];
    h->dirty = true;
    return Status::Ok;
  }

  Status sync(FileHandle file) noexcept override {
    Open* h = handle(file);
    if (h == nullptr) return powered_ ? Status::InvalidArgument : Status::IoError;
    if (!h->writable) return Status::Ok;
    if (const Status s = mutate(); s != Status::Ok) return s;
    files_[h->file].durable = files_[h->file].size;
    return Status::Ok;
  }

  Status close(FileHandle file) noexcept override {
    Open* h = handle(file);
    if (h == nullptr) return powered_ ? Status::InvalidArgument : Status::IoError;
    if (h->writable) {
      if (const Status s = mutate(); s != Status::Ok) {
        h->used = false;
        return s;
      }
      files_[h->file].durable = files_[h->file].size;
    }
    h->used = false;
    return Status::Ok;
  }

  Status rename(const char* from, const char* to) noexcept override {
    if (!powered_) return Status::IoError;
    const int f = find(from);
    if (f < 0) return Status::NotFound;
    if (find(to) >= 0) return Status::Exists;
    if (!parent_exists(to)) return Status::NotFound;
    if (length(to) >= kMaxPath) return Status::InvalidArgument;
    if (const Status s = mutate(); s != Status::Ok) return s;
    (void)copy_path(files_[f].path, to);
    return Status::Ok;
  }

  Status unlink(const char* path) noexcept override {
    if (!powered_) return Status::IoError;
    const int f = find(path);
    if (f < 0) return Status::NotFound;
    for (const auto& h : open_) {
      if (h.used && h.file == f) return Status::InvalidArgument;  // FatFs: FR_LOCKED
    }
    if (files_[f].directory) {
      for (const auto& g : files_) {
        if (g.used && is_child(g.path, path)) return Status::InvalidArgument;  // FatFs: FR_DENIED
      }
    }
    if (const Status s = mutate(); s != Status::Ok) return s;
    files_[f].used = false;
    return Status::Ok;
  }

  Status mkdir(const char* path) noexcept override {
    if (!powered_) return Status::IoError;
    if (find(path) >= 0) return Status::Exists;
    if (!parent_exists(path)) return Status::NotFound;
    if (const Status s = mutate(); s != Status::Ok) return s;
    return create(path, true) < 0 ? Status::CapacityFull : Status::Ok;
  }

  Status stat(const char* path, FileInfo& info) noexcept override {
    if (!powered_) return Status::IoError;
    if (path[0] == '/' && path[1] == '\0') {
      info = FileInfo{0, true};
      return Status::Ok;
    }
    const int f = find(path);
    if (f < 0) return Status::NotFound;
    info = FileInfo{files_[f].directory ? 0U : static_cast<std::uint32_t>(files_[f].size), files_[f].directory};
    return Status::Ok;
  }

  Status list(const char* path, DirVisitor& visitor) noexcept override {
    if (!powered_) return Status::IoError;
    const bool root = path[0] == '/' && path[1] == '\0';
    if (!root) {
      const int d = find(path);
      if (d < 0 || !files_[d].directory) return Status::NotFound;
    }
    for (const auto& f : files_) {
      if (!f.used || !is_child(f.path, root ? "" : path)) continue;
      const char* name = f.path;
      for (const char* p = f.path; *p != 0; ++p) {
        if (*p == '/') name = p + 1;
      }
      if (!visitor.entry(name, FileInfo{f.directory ? 0U : static_cast<std::uint32_t>(f.size), f.directory})) break;
    }
    return Status::Ok;
  }

  /// Test access to a file's bytes (nullptr when absent), e.g. to corrupt one on purpose.
  [[nodiscard]] std::uint8_t* bytes(const char* path, std::size_t& size) noexcept {
    const int f = find(path);
    if (f < 0 || files_[f].directory) return nullptr;
    size = files_[f].size;
    return files_[f].data;
  }

 private:
  struct File {
    bool used = false;
    bool directory = false;
    std::size_t size = 0;
    std::size_t durable = 0;
    char path[kMaxPath] = {};
    std::uint8_t data[MaxFileBytes] = {};
  };
  struct Open {
    bool used = false;
    int file = -1;
    std::size_t pos = 0;
    bool writable = false;
    bool dirty = false;
  };

  Status mutate() noexcept {
    ++writes_;
    if (!powered_) return Status::IoError;
    if (armed_) {
      if (budget_ == 0) {
        powered_ = false;
        return Status::IoError;
      }
      --budget_;
    }
    return Status::Ok;
  }

  Open* handle(FileHandle file) noexcept {
    if (!powered_ || file.id < 0 || static_cast<std::size_t>(file.id) >= MaxOpen || !open_[file.id].used) return nullptr;
    return &open_[file.id];
  }

  static bool same(const char* a, const char* b) noexcept {
    std::size_t i = 0;
    for (; a[i] != 0 && b[i] != 0; ++i) {
      if (a[i] != b[i]) return false;
    }
    return a[i] == b[i];
  }
  /// `path` is directly inside folder `dir` ("" = root).
  static bool is_child(const char* path, const char* dir) noexcept {
    std::size_t i = 0;
    for (; dir[i] != 0; ++i) {
      if (path[i] != dir[i]) return false;
    }
    if (path[i] != '/' || path[i + 1] == 0) return false;
    for (std::size_t j = i + 1; path[j] != 0; ++j) {
      if (path[j] == '/') return false;
    }
    return true;
  }
  static std::size_t length(const char* s) noexcept {
    std::size_t n = 0;
    while (s[n] != 0) ++n;
    return n;
  }
  static bool copy_path(char* out, const char* path) noexcept {
    std::size_t n = 0;
    while (path[n] != 0) {
      if (n + 1 >= kMaxPath) return false;
      out[n] = path[n];
      ++n;
    }
    out[n] = 0;
    return true;
  }
  int find(const char* path) const noexcept {
    for (std::size_t i = 0; i < MaxFiles; ++i) {
      if (files_[i].used && same(files_[i].path, path)) return static_cast<int>(i);
    }
    return -1;
  }
  bool parent_exists(const char* path) const noexcept {
    std::size_t last = 0;
    for (std::size_t i = 0; path[i] != 0; ++i) {
      if (path[i] == '/') last = i;
    }
    if (path[0] != '/') return false;
    if (last == 0) return true;
    char parent[kMaxPath] = {};
    if (last >= kMaxPath) return false;
    for (std::size_t i = 0; i < last; ++i) parent[i] = path[i];
    const int d = find(parent);
    return d >= 0 && files_[d].directory;
  }
  int create(const char* path, bool directory) noexcept {
    for (std::size_t i = 0; i < MaxFiles; ++i) {
      if (!files_[i].used) {
        if (!copy_path(files_[i].path, path)) return -1;
        files_[i].used = true;
        files_[i].directory = directory;
        files_[i].size = 0;
        files_[i].durable = 0;
        return static_cast<int>(i);
      }
    }
    return -1;
  }

  File files_[MaxFiles];
  Open open_[MaxOpen];
  bool powered_ = true;
  bool armed_ = false;
  TearMode tear_ = TearMode::DropUnsynced;
  std::uint32_t budget_ = 0;
  std::uint32_t writes_ = 0;
};

}  // namespace midisift::clip
