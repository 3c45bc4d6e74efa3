// The firmware library as an application would link it, for the flash and RAM report: one Library
// with the default configuration, every public operation reachable, over a file system that only
// fails (the backend is the application's, FatFs in practice, and not part of the budget).
#include "midisift/clip/cursor.hpp"
#include "midisift/clip/library.hpp"

namespace {

using namespace midisift::clip;

class NoCard final : public FileSystem {
 public:
  Status open(const char*, OpenMode, FileHandle&) noexcept override { return Status::IoError; }
  Status read(FileHandle, std::uint8_t*, std::size_t, std::size_t&) noexcept override { return Status::IoError; }
  Status write(FileHandle, const std::uint8_t*, std::size_t) noexcept override { return Status::IoError; }
  Status sync(FileHandle) noexcept override { return Status::IoError; }
  Status close(FileHandle) noexcept override { return Status::IoError; }
  Status rename(const char*, const char*) noexcept override { return Status::IoError; }
  Status unlink(const char*) noexcept override { return Status::IoError; }
  Status mkdir(const char*) noexcept override { return Status::IoError; }
  Status stat(const char*, FileInfo&) noexcept override { return Status::IoError; }
  Status list(const char*, DirVisitor&) noexcept override { return Status::IoError; }
};

NoCard g_card;
Library g_library(g_card);
Event g_record[4];
volatile std::uint32_t g_sink;

}  // namespace

int main() {
  std::uint32_t failures = 0;
  failures += g_library.format() != Status::Ok;
  failures += g_library.mount() != Status::Ok;
  ClipRef ref;
  if (g_library.acquire("A.CLP", ref) == Status::Ok) {
    Cursor cursor(g_library.clip(ref).span(), g_library.clip(ref).header.loop_ticks);
    cursor.advance(24, [](const Event& e, std::uint32_t) { g_sink = g_sink + e.data1; });
    g_library.release(ref);
  }
  ClipHeader h;
  h.loop_ticks = 384;
  h.bars = 1;
  failures += g_library.save_clip("A.CLP", h, g_record) != Status::Ok;
  failures += g_library.undo_push(0, "A.CLP") != Status::Ok;
  failures += g_library.undo_pop(0, "A.CLP") != Status::Ok;
  Session s;
  failures += g_library.save_session("S.SES", s) != Status::Ok;
  failures += g_library.load_session("S.SES", s) != Status::Ok;
  IndexEntry e;
  failures += g_library.entry(0, e) != Status::Ok;
  g_sink = failures + g_library.event_pool_stats().peak + g_library.check_canaries();
  return 0;  // every call above fails on NoCard: the probe measures size, not behaviour
}
