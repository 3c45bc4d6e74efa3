#include "midisift/clip/library.hpp"

#include "card_io.hpp"

namespace midisift::clip {

using detail::FileGuard;
using detail::Path;

namespace {

constexpr const char* kClipsDir = "/clips";
constexpr const char* kSessionsDir = "/sessions";
constexpr const char* kUndoDir = "/undo";
constexpr const char* kIndexPath = "/clips/INDEX.BIN";

bool is_upper_or_digit(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }
bool is_alnum(char c) noexcept { return is_upper_or_digit(c) || (c >= 'a' && c <= 'z'); }
char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool reserved_base(const char* base, std::size_t n) noexcept {
  char b[6] = {};
  if (n > 5) return false;
  for (std::size_t i = 0; i < n; ++i) b[i] = upper(base[i]);
  constexpr const char* kDevices[] = {"CON", "PRN", "AUX", "NUL", "INDEX"};
  for (const char* d : kDevices) {
    if (detail::equal(b, d)) return true;
  }
  const bool com = b[0] == 'C' && b[1] == 'O' && b[2] == 'M';
  const bool lpt = b[0] == 'L' && b[1] == 'P' && b[2] == 'T';
  return n == 4 && (com || lpt) && b[3] >= '1' && b[3] <= '9';
}

bool undo_folder(Path& out, std::uint8_t track) noexcept {
  if (track >= kTracks) return false;
  char name[8] = {'t', 'r', 'a', 'c', 'k', 0, 0, 0};
  const unsigned n = track + 1U;
  if (n >= 10) {
    name[5] = static_cast<char>('0' + n / 10);
    name[6] = static_cast<char>('0' + n % 10);
  } else {
    name[5] = static_cast<char>('0' + n);
  }
  return detail::join(out, kUndoDir, name);
}

bool undo_slot_path(Path& out, std::uint8_t track, std::uint8_t slot) noexcept {
  Path dir;
  char name[8] = {'U', 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 1;
  if (slot >= 10) name[i++] = static_cast<char>('0' + slot / 10);
  name[i++] = static_cast<char>('0' + slot % 10);
  name[i++] = '.';
  name[i++] = 'C';
  name[i++] = 'L';
  name[i] = 'P';
  return undo_folder(dir, track) && detail::join(out, dir, name);
}

Status ensure_folder(FileSystem& fs, const char* path) noexcept {
  const Status s = fs.mkdir(path);
  return s == Status::Exists ? Status::Ok : s;
}

/// Reads the index's records in order through one open file (no seek in the interface). The
/// header is taken as written (its CRC is checked by verify_index_file, at mount).
class IndexReader {
 public:
  explicit IndexReader(FileSystem& fs) noexcept : fs_(fs), guard_(fs, file_) {}

  /// NotFound when there is no index.
  Status open() noexcept {
    if (const Status s = fs_.open(kIndexPath, OpenMode::Read, file_); s != Status::Ok) return s;
    std::uint8_t head[kCardHeaderSize];
    if (const Status s = detail::read_exact(fs_, file_, head, sizeof head); s != Status::Ok) return s;
    header_size_ = detail::get_u16(head + 6);
    record_size_ = detail::get_u16(head + 8);
    count_ = detail::get_u16(head + 10);
    if (header_size_ < kCardHeaderSize || record_size_ < kIndexEntrySize) return Status::BadHeader;
    return skip(header_size_ - kCardHeaderSize);
  }
  [[nodiscard]] std::uint16_t count() const noexcept { return count_; }

  /// The next record; NotFound after the last.
  Status next(IndexEntry& e) noexcept {
    if (read_ == count_) return Status::NotFound;
    std::uint8_t buf[kIndexEntrySize];
    if (const Status s = detail::read_exact(fs_, file_, buf, sizeof buf); s != Status::Ok) return s;
    if (const Status s = skip(record_size_ - kIndexEntrySize); s != Status::Ok) return s;
    ++read_;
    return decode_entry(buf, e);
  }
  /// Skips `n` records.
  Status skip_records(std::uint32_t n) noexcept {
    if (n > static_cast<std::uint32_t>(count_ - read_)) return Status::NotFound;
    read_ = static_cast<std::uint16_t>(read_ + n);
    return skip(n * record_size_);
  }
  Status close() noexcept { return guard_.close(); }

 private:
  Status skip(std::uint32_t n) noexcept {
    std::uint8_t buf[64];
    while (n > 0) {
      const std::uint32_t chunk = n < sizeof buf ? n : static_cast<std::uint32_t>(sizeof buf);
      if (const Status s = detail::read_exact(fs_, file_, buf, chunk); s != Status::Ok) return s;
      n -= chunk;
    }
    return Status::Ok;
  }

  FileSystem& fs_;
  FileHandle file_;
  FileGuard guard_;
  std::uint16_t header_size_ = 0, record_size_ = 0, count_ = 0, read_ = 0;
};

/// Writes a clip: header then events, 32 at a time.
class ClipProducer final : public detail::Producer {
 public:
  ClipProducer(const ClipHeader& h, std::span<const Event> events) noexcept : header_(h), events_(events) {}
  Status produce(FileSystem& fs, FileHandle file) noexcept override {
    std::uint8_t head[kClipHeaderSize];
    encode_header(header_, head);
    if (const Status s = fs.write(file, head, sizeof head); s != Status::Ok) return s;
    constexpr std::size_t kChunk = 32;
    std::uint8_t chunk[kChunk * kEventSize];
    for (std::size_t done = 0; done < events_.size();) {
      const std::size_t n = events_.size() - done < kChunk ? events_.size() - done : kChunk;
      for (std::size_t i = 0; i < n; ++i) encode(events_[done + i], chunk + i * kEventSize);
      if (const Status s = fs.write(file, chunk, n * kEventSize); s != Status::Ok) return s;
      done += n;
    }
    return Status::Ok;
  }

 private:
  const ClipHeader& header_;
  std::span<const Event> events_;
};

/// Copies a verified file's bytes from `source` (already checked by the caller).
class CopyProducer final : public detail::Producer {
 public:
  explicit CopyProducer(const char* source) noexcept : source_(source) {}
  Status produce(FileSystem& fs, FileHandle file) noexcept override {
    FileHandle in;
    if (const Status s = fs.open(source_, OpenMode::Read, in); s != Status::Ok) return s;
    FileGuard guard(fs, in);
    std::uint8_t buf[256];
    for (;;) {
      std::size_t got = 0;
      if (const Status s = fs.read(in, buf, sizeof buf, got); s != Status::Ok) return s;
      if (got == 0) break;
      if (const Status s = fs.write(file, buf, got); s != Status::Ok) return s;
    }
    return guard.close();
  }

 private:
  const char* source_;
};

class BytesProducer final : public detail::Producer {
 public:
  BytesProducer(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}
  Status produce(FileSystem& fs, FileHandle file) noexcept override { return fs.write(file, data_, size_); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};

/// Writes an index: the old index's entries with `entry` replacing the one of the same file (or
/// appended), or, in rebuild mode, an entry per valid clip file in /clips.
class IndexProducer final : public detail::Producer, public DirVisitor {
 public:
  IndexProducer(std::uint16_t count, std::span<std::uint8_t> scratch) noexcept : count_(count), scratch_(scratch) {}

  void upsert(const IndexEntry* entry) noexcept { entry_ = entry; }

  Status produce(FileSystem& fs, FileHandle file) noexcept override {
    fs_ = &fs;
    file_ = file;
    CardHeader h;
    h.record_size = kIndexEntrySize;
    h.count = count_;
    std::uint8_t head[kCardHeaderSize];
    encode_card_header(kIndexMagic, h, head);
    if (const Status s = emit(head, sizeof head); s != Status::Ok) return s;
    if (entry_ != nullptr) {
      if (const Status s = copy_old(); s != Status::Ok) return s;
    } else {
      if (const Status s = fs.list(kClipsDir, *this); s != Status::Ok) return s;
      if (status_ != Status::Ok) return status_;
    }
    if (written_ != count_) return Status::IoError;  // the card changed under us
    std::uint8_t tail[kCrcSize];
    detail::put_u32(tail, crc_.value());
    return fs.write(file, tail, sizeof tail);
  }

  /// Rebuild mode: one entry per clip file that verifies.
  bool entry(const char* name, const FileInfo& info) noexcept override {
    if (!is_clip(name, info)) return true;
    Path path;
    ClipHeader h;
    if (!detail::join(path, kClipsDir, name) || verify_clip_file(*fs_, path, h, scratch_) != Status::Ok) return true;
    if (written_ == count_) {
      status_ = Status::IoError;
      return false;
    }
    status_ = write_entry(make_entry(name, h));
    return status_ == Status::Ok;
  }

  static bool is_clip(const char* name, const FileInfo& info) noexcept {
    const std::size_t n = detail::length(name);
    return !info.directory && n > 4 && name[n - 4] == '.' && name[n - 3] == 'C' && name[n - 2] == 'L' &&
           name[n - 1] == 'P';
  }

 private:
  Status emit(const std::uint8_t* data, std::size_t size) noexcept {
    crc_.update(data, size);
    return fs_->write(file_, data, size);
  }
  Status write_entry(const IndexEntry& e) noexcept {
    std::uint8_t buf[kIndexEntrySize];
    encode_entry(e, buf);
    ++written_;
    return emit(buf, sizeof buf);
  }
  Status copy_old() noexcept {
    bool replaced = false;
    IndexReader old(*fs_);
    const Status opened = old.open();
    if (opened == Status::Ok) {
      IndexEntry e;
      Status s;
      while ((s = old.next(e)) == Status::Ok) {
        if (detail::equal(e.file, entry_->file)) {
          e = *entry_;
          replaced = true;
        }
        if (const Status w = write_entry(e); w != Status::Ok) return w;
      }
      if (s != Status::NotFound) return s;
      if (const Status c = old.close(); c != Status::Ok) return c;
    } else if (opened != Status::NotFound) {
      return opened;
    }
    return replaced ? Status::Ok : write_entry(*entry_);
  }

  std::uint16_t count_;
  std::span<std::uint8_t> scratch_;
  const IndexEntry* entry_ = nullptr;
  FileSystem* fs_ = nullptr;
  FileHandle file_;
  Crc32 crc_;
  std::uint16_t written_ = 0;
  Status status_ = Status::Ok;
};

/// Sum of the CRC-32s of names: equal sums and counts say two lists hold the same names without
/// comparing every pair (a collision would need a crafted index whose own CRC is also right).
std::uint32_t name_hash(const char* name) noexcept {
  return crc32(reinterpret_cast<const std::uint8_t*>(name), detail::length(name));
}

class ClipCounter final : public DirVisitor {
 public:
  bool entry(const char* name, const FileInfo& info) noexcept override {
    if (IndexProducer::is_clip(name, info)) {
      ++count;
      name_sum += name_hash(name);
    }
    return true;
  }
  std::uint32_t count = 0;
  std::uint32_t name_sum = 0;
};

class ValidClipCounter final : public DirVisitor {
 public:
  ValidClipCounter(FileSystem& fs, std::span<std::uint8_t> scratch) noexcept : fs_(fs), scratch_(scratch) {}
  bool entry(const char* name, const FileInfo& info) noexcept override {
    if (!IndexProducer::is_clip(name, info)) return true;
    Path path;
    ClipHeader h;
    if (detail::join(path, kClipsDir, name) && verify_clip_file(fs_, path, h, scratch_) == Status::Ok) {
      ++valid;
    } else {
      ++invalid;
    }
    return true;
  }
  std::uint32_t valid = 0;
  std::uint16_t invalid = 0;

 private:
  FileSystem& fs_;
  std::span<std::uint8_t> scratch_;
};

}  // namespace

Status verify_clip_file(FileSystem& fs, const char* path, ClipHeader& header, std::span<std::uint8_t> scratch) noexcept {
  FileInfo info;
  if (const Status s = fs.stat(path, info); s != Status::Ok) return s;
  if (info.directory) return Status::NotFound;
  FileHandle f;
  if (const Status s = fs.open(path, OpenMode::Read, f); s != Status::Ok) return s;
  FileGuard guard(fs, f);
  if (const Status s = detail::read_clip_header(fs, f, info.size, header, scratch); s != Status::Ok) return s;
  if (const Status s = detail::read_clip_payload(fs, f, header, nullptr); s != Status::Ok) return s;
  return guard.close();
}

bool valid_file_name(const char* name, const char* extension, bool long_names) noexcept {
  const std::size_t n = detail::length(name);
  const std::size_t e = detail::length(extension);
  if (e != 3 || n < e + 2 || name[n - e - 1] != '.') return false;
  for (std::size_t i = 0; i < e; ++i) {
    if (name[n - e + i] != extension[i]) return false;
  }
  const std::size_t base = n - e - 1;
  if (reserved_base(name, base)) return false;
  if (!long_names) {
    if (base > 8) return false;
    for (std::size_t i = 0; i < base; ++i) {
      if (!is_upper_or_digit(name[i])) return false;
    }
    return true;
  }
  if (n + 1 > kFileNameSize) return false;
  if (!is_alnum(name[0]) || !is_alnum(name[base - 1])) return false;
  for (std::size_t i = 1; i + 1 < base; ++i) {
    const char c = name[i];
    if (is_alnum(c)) continue;
    if ((c == ' ' || c == '.') && is_alnum(name[i - 1])) continue;
    return false;
  }
  return true;
}

Status Library::format(std::uint8_t tracks) noexcept {
  if (tracks == 0 || tracks > kTracks) return Status::InvalidArgument;
  for (const char* dir : {kClipsDir, kSessionsDir, kUndoDir}) {
    if (const Status s = ensure_folder(fs_, dir); s != Status::Ok) return s;
  }
  for (std::uint8_t t = 0; t < tracks; ++t) {
    Path dir;
    if (!undo_folder(dir, t)) return Status::InvalidArgument;
    if (const Status s = ensure_folder(fs_, dir); s != Status::Ok) return s;
  }
  FileInfo info;
  const Status s = fs_.stat(kIndexPath, info);
  if (s == Status::NotFound) {
    IndexProducer empty(0, scratch_);
    return detail::save_atomically(fs_, kIndexPath, empty);
  }
  return s;
}

Status Library::mount(MountReport* report) noexcept {
  MountReport r;
  mounted_ = false;
  for (auto& slot : slots_) {
    if (slot.used) drop_slot(slot);
  }
  FileInfo info;
  if (const Status s = fs_.stat(kClipsDir, info); s != Status::Ok) return s;
  if (const Status s = detail::recover_folder(fs_, kClipsDir, r.saves_completed, r.saves_discarded, scratch_);
      s != Status::Ok) {
    return s;
  }
  if (fs_.stat(kSessionsDir, info) == Status::Ok) {
    if (const Status s = detail::recover_folder(fs_, kSessionsDir, r.saves_completed, r.saves_discarded, scratch_);
        s != Status::Ok) {
      return s;
    }
  }
  for (std::uint8_t t = 0; t < kTracks; ++t) {
    Path dir;
    if (undo_folder(dir, t) && fs_.stat(dir, info) == Status::Ok) {
      if (const Status s = detail::recover_folder(fs_, dir, r.saves_completed, r.saves_discarded, scratch_);
          s != Status::Ok) {
        return s;
      }
    }
  }
  bool consistent = false;
  if (const Status s = check_index(consistent); s != Status::Ok) return s;
  if (!consistent) {
    if (const Status s = rebuild_index(&r.invalid_clips); s != Status::Ok) return s;
    r.index_rebuilt = true;
  }
  CardHeader h;
  if (const Status s = read_index_header(h); s != Status::Ok) return s;
  clip_count_ = h.count;
  r.clips = h.count;
  mounted_ = true;
  if (report != nullptr) *report = r;
  return Status::Ok;
}

Status Library::read_index_header(CardHeader& h) noexcept { return detail::verify_index_file(fs_, kIndexPath, h); }

Status Library::check_index(bool& consistent) noexcept {
  consistent = false;
  CardHeader h;
  const Status s = read_index_header(h);
  if (s == Status::IoError) return s;
  if (s != Status::Ok) return Status::Ok;  // missing or damaged: rebuild
  ClipCounter files;
  if (const Status ls = fs_.list(kClipsDir, files); ls != Status::Ok) return ls;
  if (files.count != h.count) return Status::Ok;
  IndexReader index(fs_);
  if (index.open() != Status::Ok) return Status::Ok;
  std::uint32_t name_sum = 0;
  IndexEntry e;
  for (std::uint16_t i = 0; i < h.count; ++i) {
    if (index.next(e) != Status::Ok) return Status::Ok;
    name_sum += name_hash(e.file);
    Path path;
    if (!detail::join(path, kClipsDir, e.file)) return Status::Ok;
    FileInfo info;
    if (fs_.stat(path, info) != Status::Ok || info.directory) return Status::Ok;
    FileHandle f;
    if (fs_.open(path, OpenMode::Read, f) != Status::Ok) return Status::Ok;
    FileGuard guard(fs_, f);
    ClipHeader ch;
    if (detail::read_clip_header(fs_, f, info.size, ch, scratch_) != Status::Ok) return Status::Ok;
    if (ch.payload_crc != e.payload_crc || ch.event_count != e.event_count || ch.loop_ticks != e.loop_ticks) {
      return Status::Ok;
    }
  }
  // Every entry names an existing clip and there are as many clips as entries: the same names
  // (no entry twice, none left out) when the name sums agree too.
  consistent = name_sum == files.name_sum;
  clip_count_ = h.count;
  return Status::Ok;
}

Status Library::rebuild_index(std::uint16_t* invalid) noexcept {
  ValidClipCounter counter(fs_, scratch_);
  if (const Status s = fs_.list(kClipsDir, counter); s != Status::Ok) return s;
  if (counter.valid > 0xFFFF) return Status::CapacityFull;
  if (invalid != nullptr) *invalid = counter.invalid;
  IndexProducer index(static_cast<std::uint16_t>(counter.valid), scratch_);
  if (const Status s = detail::save_atomically(fs_, kIndexPath, index); s != Status::Ok) return s;
  clip_count_ = static_cast<std::uint16_t>(counter.valid);
  return Status::Ok;
}

Status Library::entry(std::uint16_t i, IndexEntry& out) noexcept {
  IndexReader index(fs_);
  if (const Status s = index.open(); s != Status::Ok) return s;
  if (const Status s = index.skip_records(i); s != Status::Ok) return s;
  if (const Status s = index.next(out); s != Status::Ok) return s;
  return index.close();
}

Status Library::find(const char* file, IndexEntry& out) noexcept {
  IndexReader index(fs_);
  if (const Status s = index.open(); s != Status::Ok) return s;
  Status s;
  while ((s = index.next(out)) == Status::Ok) {
    if (detail::equal(out.file, file)) return index.close();
  }
  return s;
}

void Library::drop_slot(Slot& slot) noexcept {
  if (slot.storage != nullptr) (void)pool_.free(slot.storage);
  slot = Slot{};
  ++slot_stats_.frees;
  --slot_stats_.in_use;
}

Status Library::evict_one() noexcept {
  Slot* victim = nullptr;
  for (auto& slot : slots_) {
    if (slot.used && slot.pins == 0 && (victim == nullptr || slot.last_use < victim->last_use)) victim = &slot;
  }
  if (victim == nullptr) return Status::Busy;
  drop_slot(*victim);
  ++cache_stats_.evictions;
  return Status::Ok;
}

Status Library::load_into(const char* file, Slot& slot) noexcept {
  Path path;
  if (!detail::join(path, kClipsDir, file) || detail::length(file) + 1 > kFileNameSize) return Status::InvalidArgument;
  FileInfo info;
  if (const Status s = fs_.stat(path, info); s != Status::Ok) return s;
  FileHandle f;
  if (const Status s = fs_.open(path, OpenMode::Read, f); s != Status::Ok) return s;
  FileGuard guard(fs_, f);
  ClipHeader h;
  if (const Status s = detail::read_clip_header(fs_, f, info.size, h, scratch_); s != Status::Ok) return s;
  if (h.event_count > pool_.capacity()) return Status::CapacityFull;
  Event* storage = nullptr;
  if (h.event_count > 0) {
    for (;;) {
      const Status s = pool_.allocate(h.event_count, storage);
      if (s == Status::Ok) break;
      if (evict_one() != Status::Ok) return Status::CapacityFull;
    }
  }
  if (const Status s = detail::read_clip_payload(fs_, f, h, storage); s != Status::Ok) {
    if (storage != nullptr) (void)pool_.free(storage);
    return s;
  }
  slot.storage = storage;
  slot.clip.header = h;
  slot.clip.events = storage;
  for (std::size_t i = 0; i < kFileNameSize; ++i) slot.clip.file[i] = i < detail::length(file) ? file[i] : '\0';
  return guard.close();
}

Status Library::acquire(const char* file, ClipRef& ref) noexcept {
  ref = ClipRef{};
  for (std::size_t i = 0; i < kCacheSlots; ++i) {
    Slot& slot = slots_[i];
    if (slot.used && detail::equal(slot.clip.file, file)) {
      ++slot.pins;
      slot.last_use = ++clock_;
      ++cache_stats_.hits;
      ref.slot = static_cast<std::uint8_t>(i);
      return Status::Ok;
    }
  }
  Slot* free_slot = nullptr;
  for (;;) {
    for (auto& slot : slots_) {
      if (!slot.used) {
        free_slot = &slot;
        break;
      }
    }
    if (free_slot != nullptr) break;
    if (const Status s = evict_one(); s != Status::Ok) {
      ++slot_stats_.failures;
      return s;
    }
  }
  ++cache_stats_.misses;
  if (const Status s = load_into(file, *free_slot); s != Status::Ok) {
    *free_slot = Slot{};
    return s;
  }
  free_slot->used = true;
  free_slot->pins = 1;
  free_slot->last_use = ++clock_;
  ++slot_stats_.allocations;
  if (++slot_stats_.in_use > slot_stats_.peak) slot_stats_.peak = slot_stats_.in_use;
  ref.slot = static_cast<std::uint8_t>(free_slot - slots_);
  return Status::Ok;
}

void Library::release(ClipRef ref) noexcept {
  // Releasing counts as a use: the clip that stopped playing last is the last to be evicted.
  if (ref.slot < kCacheSlots && slots_[ref.slot].used && slots_[ref.slot].pins > 0) {
    --slots_[ref.slot].pins;
    slots_[ref.slot].last_use = ++clock_;
  }
}

Status Library::drop_cached(const char* file) noexcept {
  for (auto& slot : slots_) {
    if (slot.used && detail::equal(slot.clip.file, file)) {
      if (slot.pins > 0) return Status::Busy;
      drop_slot(slot);
    }
  }
  return Status::Ok;
}

Status Library::upsert_index(const IndexEntry& e) noexcept {
  IndexEntry existing;
  const Status found = find(e.file, existing);
  if (found != Status::Ok && found != Status::NotFound) return found;
  const std::uint32_t count = clip_count_ + (found == Status::NotFound ? 1U : 0U);
  if (count > 0xFFFF) return Status::CapacityFull;
  IndexProducer index(static_cast<std::uint16_t>(count), scratch_);
  index.upsert(&e);
  if (const Status s = detail::save_atomically(fs_, kIndexPath, index); s != Status::Ok) return s;
  clip_count_ = static_cast<std::uint16_t>(count);
  return Status::Ok;
}

Status Library::save_clip(const char* file, const ClipHeader& header, std::span<const Event> events,
                          bool update_index) noexcept {
  if (!valid_file_name(file, "CLP", long_names_)) return Status::InvalidArgument;
  if (events.size() > kClipMaxEvents) return Status::CapacityFull;
  ClipHeader h = header;
  h.header_size = kClipHeaderSize;
  h.event_count = static_cast<std::uint32_t>(events.size());
  if (const Status s = check_fields(h); s != Status::Ok) return s;
  Crc32 crc;
  std::uint32_t previous = 0;
  for (const Event& e : events) {
    if (!valid_event(e, previous, h.loop_ticks)) return Status::BadEvent;
    previous = e.tick;
    std::uint8_t b[kEventSize];
    encode(e, b);
    crc.update(b, sizeof b);
  }
  h.payload_crc = crc.value();
  if (const Status s = drop_cached(file); s != Status::Ok) return s;
  Path path;
  if (!detail::join(path, kClipsDir, file)) return Status::InvalidArgument;
  ClipProducer producer(h, events);
  if (const Status s = detail::save_atomically(fs_, path, producer); s != Status::Ok) return s;
  if (!update_index) return Status::Ok;
  return upsert_index(make_entry(file, h));
}

Status Library::read_undo(std::uint8_t track, UndoRing& ring) noexcept {
  Path dir;
  Path path;
  if (!undo_folder(dir, track) || !detail::join(path, dir, "UNDO.IDX")) return Status::InvalidArgument;
  std::uint32_t size = 0;
  const Status s = detail::read_all(fs_, path, scratch_, size);
  if (s == Status::NotFound) {
    ring = UndoRing{};
    ring.slots = static_cast<std::uint8_t>(kUndoSlots);
    return Status::Ok;
  }
  if (s != Status::Ok) return s;
  if (const Status d = decode_undo(scratch_, size, ring); d != Status::Ok) return d;
  // A snapshot whose file no longer matches (should not happen: the ring never rewrites a slot the
  // index references) shortens the ring to the snapshots after it.
  for (std::uint8_t back = 0; back < ring.depth; ++back) {
    Path slot_path;
    ClipHeader h;
    const std::uint8_t slot = ring.slot_back(back);
    if (!undo_slot_path(slot_path, track, slot) || verify_clip_file(fs_, slot_path, h, scratch_) != Status::Ok ||
        h.payload_crc != ring.payload_crc[slot]) {
      ring.depth = back;
      break;
    }
  }
  return Status::Ok;
}

Status Library::undo_depth(std::uint8_t track, std::uint8_t& depth) noexcept {
  UndoRing ring;
  if (const Status s = read_undo(track, ring); s != Status::Ok) return s;
  depth = ring.depth;
  return Status::Ok;
}

Status Library::undo_push(std::uint8_t track, const char* file) noexcept {
  Path dir;
  Path index_path;
  Path source;
  if (!undo_folder(dir, track) || !detail::join(index_path, dir, "UNDO.IDX") || !detail::join(source, kClipsDir, file)) {
    return Status::InvalidArgument;
  }
  UndoRing ring;
  if (const Status s = read_undo(track, ring); s != Status::Ok) return s;
  ClipHeader h;
  if (const Status s = verify_clip_file(fs_, source, h, scratch_); s != Status::Ok) return s;
  const auto slot = static_cast<std::uint8_t>(ring.depth == 0 ? 0 : (ring.head + 1) % ring.slots);
  Path slot_path;
  if (!undo_slot_path(slot_path, track, slot)) return Status::InvalidArgument;
  CopyProducer copy(source);
  if (const Status s = detail::write_file(fs_, slot_path, copy); s != Status::Ok) return s;
  std::uint32_t next_seq = 1;
  for (std::uint8_t i = 0; i < ring.slots; ++i) {
    if (ring.seq[i] >= next_seq) next_seq = ring.seq[i] + 1;
  }
  ring.head = slot;
  ring.seq[slot] = next_seq;
  ring.payload_crc[slot] = h.payload_crc;
  if (ring.depth < ring.slots - 1) ++ring.depth;
  std::uint8_t bytes[kCardHeaderSize + kUndoMaxSlots * kUndoSlotSize + kCrcSize];
  if (const Status s = encode_undo(ring, bytes); s != Status::Ok) return s;
  BytesProducer producer(bytes, undo_size(ring));
  return detail::save_atomically(fs_, index_path, producer);
}

Status Library::undo_pop(std::uint8_t track, const char* file) noexcept {
  Path dir;
  Path index_path;
  Path target;
  if (!valid_file_name(file, "CLP", long_names_) || !undo_folder(dir, track) ||
      !detail::join(index_path, dir, "UNDO.IDX") || !detail::join(target, kClipsDir, file)) {
    return Status::InvalidArgument;
  }
  UndoRing ring;
  if (const Status s = read_undo(track, ring); s != Status::Ok) return s;
  if (ring.depth == 0) return Status::NotFound;
  Path slot_path;
  if (!undo_slot_path(slot_path, track, ring.head)) return Status::InvalidArgument;
  ClipHeader h;
  if (const Status s = verify_clip_file(fs_, slot_path, h, scratch_); s != Status::Ok) return s;
  if (const Status s = drop_cached(file); s != Status::Ok) return s;
  // 1. the clip gets the snapshot's content (atomic), 2. the index follows, 3. the ring drops it.
  // A cut after 1 or 2 leaves the snapshot in the ring: undoing again restores the same content.
  CopyProducer copy(slot_path);
  if (const Status s = detail::save_atomically(fs_, target, copy); s != Status::Ok) return s;
  if (const Status s = upsert_index(make_entry(file, h)); s != Status::Ok) return s;
  ring.seq[ring.head] = 0;
  ring.payload_crc[ring.head] = 0;
  --ring.depth;
  ring.head = static_cast<std::uint8_t>((ring.head + ring.slots - 1) % ring.slots);
  std::uint8_t bytes[kCardHeaderSize + kUndoMaxSlots * kUndoSlotSize + kCrcSize];
  if (const Status s = encode_undo(ring, bytes); s != Status::Ok) return s;
  BytesProducer producer(bytes, undo_size(ring));
  return detail::save_atomically(fs_, index_path, producer);
}

Status Library::save_session(const char* name, const Session& session) noexcept {
  Path path;
  if (!valid_file_name(name, "SES", long_names_) || !detail::join(path, kSessionsDir, name)) {
    return Status::InvalidArgument;
  }
  for (std::uint8_t t = 0; t < session.track_count && t < kSessionMaxTracks; ++t) {
    if (session.tracks[t].file[0] == 0) continue;
    IndexEntry e;
    if (const Status s = find(session.tracks[t].file, e); s != Status::Ok) return s;
  }
  std::uint8_t bytes[kCardHeaderSize + kSessionMaxTracks * kSessionTrackSize + kCrcSize];
  if (const Status s = encode_session(session, bytes); s != Status::Ok) return s;
  BytesProducer producer(bytes, session_size(session));
  return detail::save_atomically(fs_, path, producer);
}

Status Library::load_session(const char* name, Session& session) noexcept {
  Path path;
  if (!detail::join(path, kSessionsDir, name)) return Status::InvalidArgument;
  std::uint32_t size = 0;
  if (const Status s = detail::read_all(fs_, path, scratch_, size); s != Status::Ok) return s;
  return decode_session(scratch_, size, session);
}

}  // namespace midisift::clip
