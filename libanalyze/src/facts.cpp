#include "midisift/analyze/facts.hpp"

#include "midisift/analyze/notes.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace midisift::analyze {


FileFacts compute_facts(const parse::Smf& smf, std::pmr::memory_resource* mr) {
  FileFacts f;
  const auto& h = smf.header();
  f.format = h.format;
  f.tracks = static_cast<std::uint32_t>(smf.tracks().size());
  f.ppq = h.ppq();
  f.smpte_fps = h.smpte_fps();
  f.ticks_per_frame = h.ticks_per_frame();

  std::pmr::vector<TempoChange> tempos(mr);
  bool tempos_sorted = true;
  std::optional<std::uint32_t> first_tempo_at_zero;
  std::uint8_t pmin = 0xFF;
  std::uint8_t pmax = 0;

  for (const auto& track : smf.tracks()) {
    if (!track.events.empty()) f.end_tick = std::max(f.end_tick, track.events.back().tick);
    for (const auto& e : track.events) {
      if (e.is_channel()) {
        ++f.channel_events;
        f.channel_mask = static_cast<std::uint16_t>(f.channel_mask | (1U << e.channel()));
        if (e.is_note_on()) {
          ++f.note_on_events;
          pmin = std::min(pmin, e.data1);
          pmax = std::max(pmax, e.data1);
        }
      } else if (e.is_meta()) {
        ++f.meta_events;
        if (auto tempo = tempo_of(smf, e)) {
          ++f.tempo_changes;
          if (e.tick == 0 && !first_tempo_at_zero) first_tempo_at_zero = *tempo;
          // Each track is tick-ordered; tempos in a later track need a merge.
          if (!tempos.empty() && e.tick < tempos.back().tick) tempos_sorted = false;
          tempos.push_back({e.tick, *tempo});
        }
      } else if (e.is_sysex()) {
        ++f.sysex_events;
      }
    }
  }
  if (f.note_on_events > 0) {
    f.pitch_min = pmin;
    f.pitch_max = pmax;
  }
  const std::uint32_t initial = first_tempo_at_zero.value_or(kDefaultTempo);
  if (initial != 0) f.initial_bpm = 60e6 / initial;

  if (!tempos_sorted) {
    // Stable: ties keep track order, so the last change at a tick is the one in force.
    std::stable_sort(tempos.begin(), tempos.end(),
                     [](const TempoChange& a, const TempoChange& b) { return a.tick < b.tick; });
  }
  if (f.format != 2 && !h.is_smpte() && f.ppq != 0) {
    f.duration_seconds = TempoMap(std::move(tempos), f.ppq, mr).seconds(f.end_tick);
  }
  return f;
}

std::array<std::uint8_t, 16> md5(std::span<const std::byte> bytes) {
  std::array<std::uint8_t, 16> out{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_md5(), nullptr) != 1 || len != out.size()) {
    throw std::runtime_error("EVP_Digest(MD5) failed");
  }
  return out;
}

std::string to_hex(std::span<const std::uint8_t> digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(digest.size() * 2, '0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    s[2 * i] = kHex[digest[i] >> 4];
    s[2 * i + 1] = kHex[digest[i] & 0x0F];
  }
  return s;
}

}  // namespace midisift::analyze
