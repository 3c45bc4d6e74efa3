// Builds a Standard MIDI File from notes and meta events, for analysis tests whose expected values
// are computed by hand from the notes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "smf_builder.hpp"

namespace midisift::test {

struct SongNote {
  std::uint32_t onset, end;
  std::uint8_t pitch;
  std::uint8_t channel = 0;
  std::uint8_t velocity = 100;
};

struct SongEvent {  // a raw event at a tick: status and data (meta: FF type len data...)
  std::uint32_t tick;
  Bytes bytes;
};

struct SongTrack {
  std::vector<SongNote> notes;
  std::vector<SongEvent> events;
};

struct SongOptions {
  bool running_status = false;   ///< omit repeated status bytes
  bool zero_velocity_off = false;  ///< note-off as note-on with velocity 0
};

inline Bytes vlq(std::uint32_t v) {
  Bytes out{static_cast<std::uint8_t>(v & 0x7F)};
  while (v >>= 7) out.insert(out.begin(), static_cast<std::uint8_t>(0x80 | (v & 0x7F)));
  return out;
}

inline Bytes meta(std::uint8_t type, const Bytes& data) {
  Bytes out{0xFF, type};
  append(out, vlq(static_cast<std::uint32_t>(data.size())));
  append(out, data);
  return out;
}
inline Bytes tempo_meta(std::uint32_t usec) {
  return meta(0x51, {static_cast<std::uint8_t>(usec >> 16), static_cast<std::uint8_t>(usec >> 8),
                     static_cast<std::uint8_t>(usec)});
}
inline Bytes time_signature_meta(std::uint8_t num, std::uint8_t dd) { return meta(0x58, {num, dd, 24, 8}); }
inline Bytes text_meta(std::uint8_t type, const std::string& s) { return meta(type, Bytes(s.begin(), s.end())); }

/// One MTrk chunk: events sorted by tick, note-offs before other events at the same tick.
inline Bytes song_track(const SongTrack& t, SongOptions opt = {}) {
  struct Ev {
    std::uint32_t tick;
    int order;  // 0 note-off, 1 other, 2 note-on
    std::size_t seq;
    Bytes bytes;
  };
  std::vector<Ev> evs;
  std::size_t seq = 0;
  for (const auto& e : t.events) evs.push_back({e.tick, 1, seq++, e.bytes});
  for (const auto& n : t.notes) {
    evs.push_back({n.onset, 2, seq++, {static_cast<std::uint8_t>(0x90 | n.channel), n.pitch, n.velocity}});
    if (opt.zero_velocity_off) {
      evs.push_back({n.end, 0, seq++, {static_cast<std::uint8_t>(0x90 | n.channel), n.pitch, 0}});
    } else {
      evs.push_back({n.end, 0, seq++, {static_cast<std::uint8_t>(0x80 | n.channel), n.pitch, 64}});
    }
  }
  std::stable_sort(evs.begin(), evs.end(),
                   [](const Ev& a, const Ev& b) { return std::tie(a.tick, a.order, a.seq) < std::tie(b.tick, b.order, b.seq); });
  Bytes body;
  std::uint32_t now = 0;
  std::uint8_t running = 0;
  for (const auto& e : evs) {
    append(body, vlq(e.tick - now));
    now = e.tick;
    const std::uint8_t status = e.bytes[0];
    if (opt.running_status && status < 0xF0 && status == running) {
      body.insert(body.end(), e.bytes.begin() + 1, e.bytes.end());
    } else {
      append(body, e.bytes);
    }
    running = status < 0xF0 ? status : 0;
  }
  append(body, kEot);
  return mtrk(body);
}

inline Bytes song(std::uint16_t ppq, const std::vector<SongTrack>& tracks, SongOptions opt = {}) {
  Bytes out = mthd(tracks.size() == 1 ? 0 : 1, static_cast<std::uint16_t>(tracks.size()), ppq);
  for (const auto& t : tracks) append(out, song_track(t, opt));
  return out;
}

// 4/4 at ppq 480 (a bar is 1,920 ticks), 100 BPM. Track 1, channel 0: a program change in bar 1,
// a note struck in bar 1 and released in bar 2, two notes inside bars 2-3, a controller, and a
// note struck in bar 3 and released after it.
inline Bytes segment_song() {
  SongTrack conductor;
  conductor.events = {{0, tempo_meta(600000)}, {0, time_signature_meta(4, 2)}};
  SongTrack part;
  part.notes = {{1000, 2400, 60}, {1920, 2160, 62}, {3000, 3100, 64, 0, 90}, {5000, 6500, 65}};
  part.events = {{10, {0xC0, 5}}, {4000, {0xB0, 7, 90}}};
  return song(480, {conductor, part});
}

}  // namespace midisift::test
