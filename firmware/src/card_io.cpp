#include "card_io.hpp"

#include "midisift/clip/library.hpp"

namespace midisift::clip::detail {

std::size_t length(const char* s) noexcept {
  std::size_t n = 0;
  while (s[n] != 0) ++n;
  return n;
}

bool equal(const char* a, const char* b) noexcept {
  std::size_t i = 0;
  for (; a[i] != 0 && b[i] != 0; ++i) {
    if (a[i] != b[i]) return false;
  }
  return a[i] == b[i];
}

bool copy(Path& out, const char* text) noexcept {
  const std::size_t n = length(text);
  if (n + 1 > kMaxPath) return false;
  for (std::size_t i = 0; i <= n; ++i) out[i] = text[i];
  return true;
}

bool join(Path& out, const char* dir, const char* name) noexcept {
  const std::size_t a = length(dir);
  const std::size_t b = length(name);
  if (a + 1 + b + 1 > kMaxPath) return false;
  for (std::size_t i = 0; i < a; ++i) out[i] = dir[i];
  out[a] = '/';
  for (std::size_t i = 0; i <= b; ++i) out[a + 1 + i] = name[i];
  return true;
}

bool temp_path(Path& out, const char* path) noexcept {
  const std::size_t n = length(path);
  if (n < 5 || path[n - 4] != '.' || !copy(out, path)) return false;
  out[n - 1] = '~';
  return true;
}

Status read_exact(FileSystem& fs, FileHandle file, std::uint8_t* data, std::size_t size) noexcept {
  std::size_t got = 0;
  if (const Status s = fs.read(file, data, size, got); s != Status::Ok) return s;
  return got == size ? Status::Ok : Status::Truncated;
}

Status read_all(FileSystem& fs, const char* path, std::span<std::uint8_t> buffer, std::uint32_t& size) noexcept {
  size = 0;
  FileInfo info;
  if (const Status s = fs.stat(path, info); s != Status::Ok) return s;
  if (info.directory) return Status::NotFound;
  if (info.size > buffer.size()) return Status::Truncated;
  FileHandle f;
  if (const Status s = fs.open(path, OpenMode::Read, f); s != Status::Ok) return s;
  FileGuard guard(fs, f);
  if (const Status s = read_exact(fs, f, buffer.data(), info.size); s != Status::Ok) return s;
  size = info.size;
  return guard.close();
}

Status write_file(FileSystem& fs, const char* path, Producer& producer) noexcept {
  FileHandle f;
  if (const Status s = fs.open(path, OpenMode::CreateWrite, f); s != Status::Ok) return s;
  FileGuard guard(fs, f);
  if (const Status s = producer.produce(fs, f); s != Status::Ok) return s;
  if (const Status s = fs.sync(f); s != Status::Ok) return s;
  return guard.close();
}

Status save_atomically(FileSystem& fs, const char* path, Producer& producer) noexcept {
  Path temp;
  if (!temp_path(temp, path)) return Status::InvalidArgument;
  if (const Status s = fs.unlink(temp); s != Status::Ok && s != Status::NotFound) return s;
  if (const Status s = write_file(fs, temp, producer); s != Status::Ok) return s;
  if (const Status s = fs.unlink(path); s != Status::Ok && s != Status::NotFound) return s;
  return fs.rename(temp, path);
}

Status read_clip_header(FileSystem& fs, FileHandle file, std::uint32_t file_size, ClipHeader& header,
                        std::span<std::uint8_t> scratch) noexcept {
  if (scratch.size() < kClipHeaderMaxSize) return Status::InvalidArgument;
  if (file_size < 8) return Status::Truncated;
  if (const Status s = read_exact(fs, file, scratch.data(), 8); s != Status::Ok) return s;
  const std::uint16_t header_size = get_u16(scratch.data() + 6);
  std::size_t want = header_size;
  if (want > kClipHeaderMaxSize || want < kClipHeaderSize) want = kClipHeaderSize;  // decode_header says why
  if (want > file_size) want = file_size;
  if (want > 8) {
    if (const Status s = read_exact(fs, file, scratch.data() + 8, want - 8); s != Status::Ok) return s;
  }
  if (const Status s = decode_header(scratch.data(), want, header); s != Status::Ok) return s;
  if (file_size != header.file_size()) return file_size < header.file_size() ? Status::Truncated : Status::BadHeader;
  return Status::Ok;
}

Status read_clip_payload(FileSystem& fs, FileHandle file, const ClipHeader& header, Event* out) noexcept {
  constexpr std::size_t kChunkEvents = 32;
  std::uint8_t chunk[kChunkEvents * kEventSize];
  Crc32 crc;
  std::uint32_t previous = 0;
  for (std::uint32_t done = 0; done < header.event_count;) {
    const std::uint32_t n = header.event_count - done < kChunkEvents ? header.event_count - done : kChunkEvents;
    if (const Status s = read_exact(fs, file, chunk, n * kEventSize); s != Status::Ok) return s;
    crc.update(chunk, n * kEventSize);
    for (std::uint32_t i = 0; i < n; ++i) {
      const Event e = decode(chunk + i * kEventSize);
      if (!valid_event(e, previous, header.loop_ticks)) return Status::BadEvent;
      previous = e.tick;
      if (out != nullptr) out[done + i] = e;
    }
    done += n;
  }
  return crc.value() == header.payload_crc ? Status::Ok : Status::BadChecksum;
}

Status verify_index_file(FileSystem& fs, const char* path, CardHeader& header) noexcept {
  FileInfo info;
  if (const Status s = fs.stat(path, info); s != Status::Ok) return s;
  FileHandle f;
  if (const Status s = fs.open(path, OpenMode::Read, f); s != Status::Ok) return s;
  FileGuard guard(fs, f);
  std::uint8_t buf[kIndexEntrySize];
  if (info.size < kCardHeaderSize + kCrcSize) return Status::Truncated;
  if (const Status s = read_exact(fs, f, buf, kCardHeaderSize); s != Status::Ok) return s;
  if (const Status s = decode_card_header(kIndexMagic, buf, info.size, kIndexEntrySize, header); s != Status::Ok) {
    return s;
  }
  Crc32 crc;
  crc.update(buf, kCardHeaderSize);
  std::uint32_t left = info.size - kCardHeaderSize - kCrcSize;
  while (left > 0) {
    const std::uint32_t n = left < sizeof buf ? left : static_cast<std::uint32_t>(sizeof buf);
    if (const Status s = read_exact(fs, f, buf, n); s != Status::Ok) return s;
    crc.update(buf, n);
    left -= n;
  }
  if (const Status s = read_exact(fs, f, buf, kCrcSize); s != Status::Ok) return s;
  if (crc.value() != get_u32(buf)) return Status::BadChecksum;
  return guard.close();
}

namespace {

/// The final extension of a temporary file's: the layout's four kinds.
bool final_path(Path& out, const char* temp) noexcept {
  const std::size_t n = length(temp);
  if (n < 5 || temp[n - 4] != '.' || temp[n - 1] != '~' || !copy(out, temp)) return false;
  constexpr const char* kExtensions[] = {"CLP", "BIN", "IDX", "SES"};
  for (const char* ext : kExtensions) {
    if (temp[n - 3] == ext[0] && temp[n - 2] == ext[1]) {
      out[n - 1] = ext[2];
      return true;
    }
  }
  return false;
}

Status verify_any(FileSystem& fs, const char* path, std::span<std::uint8_t> scratch) noexcept {
  const std::size_t n = length(path);
  if (path[n - 3] == 'C') {
    ClipHeader h;
    return verify_clip_file(fs, path, h, scratch);
  }
  if (path[n - 3] == 'B') {
    CardHeader h;
    return verify_index_file(fs, path, h);
  }
  std::uint32_t size = 0;
  if (const Status s = read_all(fs, path, scratch, size); s != Status::Ok) return s;
  if (path[n - 3] == 'I') {
    UndoRing ring;
    return decode_undo(scratch.data(), size, ring);
  }
  Session session;
  return decode_session(scratch.data(), size, session);
}

class TempCollector final : public DirVisitor {
 public:
  static constexpr std::size_t kBatch = 8;
  bool entry(const char* name, const FileInfo& info) noexcept override {
    const std::size_t n = length(name);
    if (info.directory || n == 0 || name[n - 1] != '~') return true;
    if (count < kBatch && copy(names[count], name)) ++count;
    more = count == kBatch;
    return !more;
  }
  Path names[kBatch] = {};
  std::size_t count = 0;
  bool more = false;
};

}  // namespace

Status recover_folder(FileSystem& fs, const char* dir, std::uint8_t& completed, std::uint8_t& discarded,
                      std::span<std::uint8_t> scratch) noexcept {
  for (;;) {
    TempCollector temps;
    if (const Status s = fs.list(dir, temps); s != Status::Ok) return s;
    for (std::size_t i = 0; i < temps.count; ++i) {
      Path temp;
      Path target;
      if (!join(temp, dir, temps.names[i])) return Status::InvalidArgument;
      if (final_path(target, temp) && verify_any(fs, temp, scratch) == Status::Ok) {
        if (const Status s = fs.unlink(target); s != Status::Ok && s != Status::NotFound) return s;
        if (const Status s = fs.rename(temp, target); s != Status::Ok) return s;
        ++completed;
      } else {
        if (const Status s = fs.unlink(temp); s != Status::Ok) return s;
        ++discarded;
      }
    }
    if (!temps.more) return Status::Ok;
  }
}

}  // namespace midisift::clip::detail
