// libFuzzer target: RIFF RMID unwrapping. The input is the chunk list of a RIFF "RMID" form (the
// harness writes the 12-byte form header); the file must parse exactly as the SMF in its first
// "data" chunk parses on its own, with offsets shifted by the chunk's position (RIFF: Microsoft
// Multimedia Programming Interface and Data Specifications 1.0, 1991; little-endian sizes, chunks
// padded to even length).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <span>
#include <vector>

#include "smf_checks.hpp"

namespace {

using midisift::parse::Smf;

std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

struct DataChunk {
  std::size_t start;  // first payload byte, in the wrapped file
  std::size_t end;    // one past the last payload byte (clamped to the file)
  bool clamped;
};

// The first "data" chunk, walked independently of the reader.
std::optional<DataChunk> find_data(const std::vector<std::uint8_t>& file) {
  std::size_t pos = 12;
  while (pos + 8 <= file.size()) {
    const std::uint32_t len = le32(&file[pos + 4]);
    if (file[pos] == 'd' && file[pos + 1] == 'a' && file[pos + 2] == 't' && file[pos + 3] == 'a') {
      const std::size_t start = pos + 8;
      const bool clamped = start + std::size_t{len} > file.size();
      return DataChunk{start, clamped ? file.size() : start + len, clamped};
    }
    pos += 8 + std::size_t{len} + (len & 1U);
  }
  return std::nullopt;
}

void check_same_parse(const Smf& wrapped, const Smf& inner, std::size_t shift, bool clamped) {
  FUZZ_CHECK(wrapped.failure().has_value() == inner.failure().has_value(), "same outcome inside and outside");
  if (wrapped.failure()) {
    FUZZ_CHECK(wrapped.failure()->code == inner.failure()->code, "same failure");
  }
  const auto wd = wrapped.diagnostics();
  const auto id = inner.diagnostics();
  const std::size_t extra = clamped ? 1 : 0;  // the clamped "data" chunk is one more repair
  FUZZ_CHECK(wd.size() == id.size() + extra, "same repairs");
  if (clamped) FUZZ_CHECK(wd[0].code == midisift::parse::Recovered::ChunkPastEof, "clamped data chunk reported");
  for (std::size_t i = 0; i < id.size(); ++i) {
    FUZZ_CHECK(wd[i + extra].code == id[i].code && wd[i + extra].track == id[i].track, "same repair, same track");
    FUZZ_CHECK(wd[i + extra].offset == id[i].offset + shift, "repair offsets shifted by the data chunk");
  }
  FUZZ_CHECK(wrapped.tracks().size() == inner.tracks().size(), "same tracks");
  for (std::size_t t = 0; t < inner.tracks().size(); ++t) {
    const auto& a = wrapped.tracks()[t].events;
    const auto& b = inner.tracks()[t].events;
    FUZZ_CHECK(a.size() == b.size(), "same events");
    for (std::size_t i = 0; i < b.size(); ++i) {
      FUZZ_CHECK(a[i].tick == b[i].tick && a[i].status == b[i].status && a[i].data1 == b[i].data1 &&
                     a[i].data2 == b[i].data2 && a[i].length == b[i].length && a[i].offset == b[i].offset + shift,
                 "same event at the shifted offset");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> file = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'R', 'M', 'I', 'D'};
  file.insert(file.end(), data, data + size);
  const auto body = static_cast<std::uint32_t>(file.size() - 8);
  for (int i = 0; i < 4; ++i) file[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(body >> (8 * i));

  const auto bytes = std::as_bytes(std::span(file));
  midisift::fuzz::check_smf(bytes, std::pmr::new_delete_resource());

  auto* mr = std::pmr::new_delete_resource();
  const Smf wrapped = midisift::parse::parse(bytes, mr);
  FUZZ_CHECK(wrapped.riff(), "a RIFF RMID form is recognised");
  const auto chunk = find_data(file);
  if (!chunk) {
    FUZZ_CHECK(wrapped.failure() && wrapped.failure()->code == midisift::parse::Fatal::NotMidi,
               "no data chunk: not a MIDI file");
    return 0;
  }
  if (chunk->start == chunk->end) return 0;  // an empty SMF on its own is "empty file", inside it is "not MIDI"
  const auto payload = std::span(file).subspan(chunk->start, chunk->end - chunk->start);
  const auto tag = [&](std::size_t at, const char* t) {
    return payload.size() >= at + 4 && std::equal(payload.begin() + static_cast<std::ptrdiff_t>(at),
                                                   payload.begin() + static_cast<std::ptrdiff_t>(at + 4), t,
                                                   [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); });
  };
  if (payload.size() >= 12 && tag(0, "RIFF") && tag(8, "RMID")) return 0;  // on its own it would be unwrapped again
  const Smf inner = midisift::parse::parse(bytes.subspan(chunk->start, chunk->end - chunk->start), mr);
  check_same_parse(wrapped, inner, chunk->start, chunk->clamped);
  return 0;
}
