#include "midisift/parse/smf.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

namespace midisift::parse {

namespace {

using u8 = std::uint8_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

// A chunk type is four ASCII characters (SMF 1.0 "Chunks"); a printable-ASCII test tells a real
// chunk header from the middle of an event stream.
constexpr bool is_chunk_id_char(u8 c) noexcept { return c >= 0x20 && c <= 0x7E; }

// Data bytes of a channel voice/mode message (MIDI 1.0 Detailed Specification, table I).
constexpr u32 channel_data_length(u8 status) noexcept {
  const auto kind = static_cast<StatusKind>(status & 0xF0);
  return (kind == StatusKind::ProgramChange || kind == StatusKind::ChannelPressure) ? 1 : 2;
}

// Data bytes of a system common or real-time message; F4, F5, F9 and FD are undefined.
constexpr u32 system_data_length(u8 status) noexcept {
  switch (status) {
    case 0xF2: return 2;
    case 0xF1:
    case 0xF3: return 1;
    default: return 0;
  }
}

constexpr bool is_undefined_status(u8 status) noexcept {
  return status == 0xF4 || status == 0xF5 || status == 0xF9 || status == 0xFD;
}

// The longest prefix searched for "MThd" when a file does not start with it (MacBinary headers
// are 128 bytes; some tools prepend a few bytes of their own).
constexpr u32 kMaxLeadingGarbage = 4096;

// Payload length of the meta events SMF 1.0 defines with a fixed length; -1 for variable ones.
// Sequence Number (00) may be 0 or 2 bytes: 0 is accepted below.
constexpr int fixed_meta_length(u8 type) noexcept {
  switch (static_cast<MetaType>(type)) {
    case MetaType::SequenceNumber: return 2;
    case MetaType::ChannelPrefix:
    case MetaType::Port: return 1;
    case MetaType::EndOfTrack: return 0;
    case MetaType::SetTempo: return 3;
    case MetaType::SmpteOffset: return 5;
    case MetaType::TimeSignature: return 4;
    case MetaType::KeySignature: return 2;
    default: return -1;
  }
}

constexpr bool is_mtrk_any_case(const u8* p) noexcept {
  return (p[0] | 0x20) == 'm' && (p[1] | 0x20) == 't' && (p[2] | 0x20) == 'r' && (p[3] | 0x20) == 'k';
}

enum class LastEvent : u8 { None, Channel, Meta, Sysex, System };

}  // namespace

class Reader {
 public:
  Reader(std::span<const std::byte> bytes, std::pmr::memory_resource* mr, const ParseOptions& options)
      : smf_(mr), data_(reinterpret_cast<const u8*>(bytes.data())), mr_(mr), strict_(options.strict) {
    smf_.bytes_ = bytes;
    // Offsets are 32-bit; InputFile refuses larger files, a caller's span is cut here.
    size_ = static_cast<u32>(std::min<std::size_t>(bytes.size(), std::numeric_limits<u32>::max()));
    end_ = size_;
  }

  Smf run() {
    if (size_ == 0) {
      fail(Fatal::EmptyFile, 0);
      return std::move(smf_);
    }
    u32 start = 0;
    if (!unwrap_riff(start)) return std::move(smf_);
    u32 mthd = 0;
    if (!find_header(start, mthd)) return std::move(smf_);
    u32 pos = 0;
    if (!read_header(mthd, pos)) return std::move(smf_);
    read_chunks(pos);
    if (smf_.failure_) return std::move(smf_);
    if (smf_.tracks_.empty() && smf_.header_.declared_tracks > 0) {
      fail(Fatal::NoTracks, pos);
      return std::move(smf_);
    }
    const auto found = smf_.tracks_.size();
    if (found != smf_.header_.declared_tracks &&
        !report(Recovered::TrackCountMismatch, kFileLevel, mthd + 10)) {
      return std::move(smf_);
    }
    if (smf_.header_.format == 0 && found > 1) {
      (void)report(Recovered::Format0MultipleTracks, kFileLevel, mthd + 8);
    }
    return std::move(smf_);
  }

 private:
  [[nodiscard]] u32 be32(u32 p) const noexcept {
    return (u32{data_[p]} << 24) | (u32{data_[p + 1]} << 16) | (u32{data_[p + 2]} << 8) | u32{data_[p + 3]};
  }
  [[nodiscard]] std::uint16_t be16(u32 p) const noexcept {
    return static_cast<std::uint16_t>((u32{data_[p]} << 8) | u32{data_[p + 1]});
  }
  [[nodiscard]] u32 le32(u32 p) const noexcept {
    return u32{data_[p]} | (u32{data_[p + 1]} << 8) | (u32{data_[p + 2]} << 16) | (u32{data_[p + 3]} << 24);
  }
  [[nodiscard]] bool has_tag(u32 p, std::string_view tag) const noexcept {
    return u64{p} + tag.size() <= end_ && std::memcmp(data_ + p, tag.data(), tag.size()) == 0;
  }
  [[nodiscard]] bool plausible_chunk_header(u32 p) const noexcept {
    if (u64{p} + 8 > end_) return false;
    return is_chunk_id_char(data_[p]) && is_chunk_id_char(data_[p + 1]) && is_chunk_id_char(data_[p + 2]) &&
           is_chunk_id_char(data_[p + 3]);
  }

  void fail(Fatal code, u32 offset, std::optional<Recovered> cause = std::nullopt) {
    if (!smf_.failure_) smf_.failure_ = Failure{code, offset, cause};
  }

  // Records a repair. Returns false when strict mode turned it into the failure.
  [[nodiscard]] bool report(Recovered code, std::uint16_t track, u32 offset) {
    smf_.diagnostics_.push_back(Diagnostic{code, track, offset});
    if (strict_) {
      fail(Fatal::StrictViolation, offset, code);
      return false;
    }
    return true;
  }

  // RIFF RMID: the SMF is the payload of the "data" chunk. RIFF sizes are little-endian and
  // chunks are padded to even length.
  bool unwrap_riff(u32& start) {
    if (!(size_ >= 12 && has_tag(0, "RIFF") && has_tag(8, "RMID"))) return true;
    smf_.riff_ = true;
    u64 pos = 12;
    while (pos + 8 <= size_) {
      const auto p = static_cast<u32>(pos);
      const u32 len = le32(p + 4);
      if (has_tag(p, "data")) {
        start = p + 8;
        const u64 data_end = u64{start} + len;
        if (data_end > size_) {
          if (!report(Recovered::ChunkPastEof, kFileLevel, p + 4)) return false;
        } else {
          end_ = static_cast<u32>(data_end);
        }
        return true;
      }
      pos += 8 + u64{len} + (len & 1U);
    }
    fail(Fatal::NotMidi, 12);
    return false;
  }

  bool find_header(u32 start, u32& mthd) {
    if (has_tag(start, "MThd")) {
      mthd = start;
      return true;
    }
    const u32 limit = static_cast<u32>(std::min<u64>(end_, u64{start} + kMaxLeadingGarbage));
    for (u32 p = start + 1; u64{p} + 4 <= limit; ++p) {
      if (has_tag(p, "MThd")) {
        mthd = p;
        return report(Recovered::LeadingGarbage, kFileLevel, start);
      }
    }
    fail(Fatal::NotMidi, start);
    return false;
  }

  bool read_header(u32 mthd, u32& next) {
    if (u64{mthd} + 14 > end_) {
      fail(Fatal::TruncatedHeader, mthd);
      return false;
    }
    const u32 length = be32(mthd + 4);
    Header& h = smf_.header_;
    h.format = be16(mthd + 8);
    h.declared_tracks = be16(mthd + 10);
    h.division = be16(mthd + 12);
    u64 after = u64{mthd} + 8 + length;
    if (length != 6) {
      if (!report(Recovered::HeaderLengthNot6, kFileLevel, mthd + 4)) return false;
      // A length that lands on no chunk while "MTrk" follows the 6 standard bytes is a wrong
      // length field, not a longer header.
      const bool lands_on_chunk = after <= end_ && plausible_chunk_header(static_cast<u32>(after));
      if ((length < 6 || !lands_on_chunk) && has_tag(mthd + 14, "MTrk")) after = u64{mthd} + 14;
    }
    next = static_cast<u32>(std::min<u64>(after, end_));
    // The format stays as written; timing treats an unknown format like format 1.
    if (h.format > 2 && !report(Recovered::UnknownFormat, kFileLevel, mthd + 8)) return false;
    if (h.division == 0 && !report(Recovered::ZeroDivision, kFileLevel, mthd + 12)) return false;
    // Every MTrk needs at least its 8-byte header: never reserve more tracks than that allows.
    smf_.tracks_.reserve(std::min<u64>(h.declared_tracks, (end_ - next) / 8 + 1));
    return true;
  }

  void read_chunks(u32& pos) {
    while (pos < end_ && !smf_.failure_) {
      if (end_ - pos < 8) {
        (void)report(Recovered::TrailingBytes, kFileLevel, pos);
        return;
      }
      if (has_tag(pos, "MTrk")) {
        pos = read_track(pos);
        continue;
      }
      if (has_tag(pos, "MThd")) {
        // Another Standard MIDI File appended to this one: the file is the first.
        (void)report(Recovered::ConcatenatedSmf, kFileLevel, pos);
        return;
      }
      if (is_mtrk_any_case(data_ + pos)) {
        if (!report(Recovered::TrackIdCase, kFileLevel, pos)) return;
        pos = read_track(pos);
        continue;
      }
      if (plausible_chunk_header(pos)) {
        // Unknown chunk types are skipped (SMF 1.0 "Chunks": "expect alien chunks").
        const u64 after = u64{pos} + 8 + be32(pos + 4);
        if (after > end_) {
          (void)report(Recovered::ChunkPastEof, kFileLevel, pos + 4);
          return;
        }
        pos = static_cast<u32>(after);
        continue;
      }
      const u32 garbage = pos;
      const u8* hit = nullptr;
      if (end_ - pos > 4) {
        // The next MTrk, or the MThd of an appended file (read_chunks stops there), if nearer.
        static constexpr std::string_view kMTrk = "MTrk";
        static constexpr std::string_view kMThd = "MThd";
        const auto equal = [](u8 a, char b) { return a == static_cast<u8>(b); };
        const u8* first = data_ + pos + 1;
        const u8* last = data_ + end_;
        const u8* mtrk = std::search(first, last, kMTrk.begin(), kMTrk.end(), equal);
        hit = std::search(first, mtrk, kMThd.begin(), kMThd.end(), equal);  // == mtrk when there is none before it
        if (hit == last) hit = nullptr;
      }
      if (hit == nullptr) {
        (void)report(Recovered::TrailingBytes, kFileLevel, garbage);
        return;
      }
      if (!report(Recovered::SkippedGarbage, kFileLevel, garbage)) return;
      pos = static_cast<u32>(hit - data_);
    }
  }

  // Reads a variable-length quantity (SMF 1.0 "Variable Length Quantities"): 7 bits a byte,
  // most significant first, at most 4 bytes. A longer one reads as 0x0FFFFFFF and sets `too_long`
  // (which later VLQs leave set and do not read). Returns false when `limit` cuts it.
  bool read_vlq(u32& pos, u32 limit, u32& value, bool& too_long) const noexcept {
    if (pos < limit && data_[pos] < 0x80) {  // one byte: the common case
      value = data_[pos++];
      return true;
    }
    u32 v = 0;
    bool over = false;  // this VLQ, not an earlier one that set `too_long`
    for (int i = 0;; ++i) {
      if (pos >= limit) return false;
      const u8 b = data_[pos++];
      if (i < 4) {
        v = (v << 7) | (b & 0x7FU);
      } else {
        over = true;
      }
      if ((b & 0x80) == 0) {
        value = over ? 0x0FFFFFFFU : v;
        too_long = too_long || over;
        return true;
      }
    }
  }

  // Reads one MTrk chunk at `chunk` and returns where the next chunk starts.
  u32 read_track(u32 chunk) {
    const auto index = static_cast<std::uint16_t>(std::min<std::size_t>(smf_.tracks_.size(), kFileLevel - 1));
    Track& track = smf_.tracks_.emplace_back(mr_);
    const u32 length = be32(chunk + 4);
    track.chunk_offset = chunk;
    track.chunk_length = length;

    const u32 begin = chunk + 8;
    const u64 declared_end64 = u64{begin} + length;
    u32 declared_end = end_;
    if (declared_end64 > end_) {
      if (!report(Recovered::ChunkPastEof, index, chunk + 4)) return end_;
    } else {
      declared_end = static_cast<u32>(declared_end64);
    }
    // When the length lands on something that is no chunk header, the length is probably too
    // short: read on past it, up to End of Track.
    const bool may_extend = declared_end < end_ && !plausible_chunk_header(declared_end);
    const u32 limit = may_extend ? end_ : declared_end;

    // Reserve from the chunk length: real tracks average 3-4 bytes an event, so this rarely
    // grows and never exceeds what the input justifies.
    track.events.reserve((declared_end - begin) / 3 + 1);

    u32 pos = begin;
    u64 tick = 0;
    u8 running = 0;
    LastEvent last = LastEvent::None;
    bool resync = false;       // the previous message was cut by a status byte: no delta before it
    bool eot = false;
    bool after_eot_reported = false;
    bool overflow_reported = false;
    bool too_long = false;     // a VLQ over 4 bytes was seen in this track
    bool vlq_reported = false;

    auto push = [&](u32 offset, u32 len, u8 status, u8 d1, u8 d2) {
      track.events.push_back(Event{static_cast<u32>(tick), offset, len, status, d1, d2});
    };

    while (pos < limit) {
      // Fast path: runs of well-formed channel messages inside the chunk, where at least 7 bytes
      // (a 4-byte delta, a status and two data bytes) remain, so no byte needs its own bounds
      // check. Anything else (a meta or sysex event, a longer delta, a tick past 2^32 - 1, a data
      // byte over 127, running status with no channel status before it or after a meta or sysex
      // event, a system message) leaves the fast path with nothing consumed, and the careful
      // reader below takes that event with its diagnostics. Both store the same events.
      if (!eot && !resync && limit - pos >= 7) {
        // Locals, not members: the events' byte stores may alias any object, so members would be
        // read again after every event.
        const u8* const d = data_;
        const u32 fast_end = std::min(declared_end, limit - 6);  // pos < fast_end: 7 bytes left
        std::pmr::vector<Event>& events = track.events;
        // The status that running status reuses here: none before a channel message, nor after a
        // meta or sysex event (the careful reader repairs those).
        u8 run = last == LastEvent::Meta || last == LastEvent::Sysex ? u8{0} : running;
        const u32 run_start = pos;
        while (pos < fast_end) {
          u32 p = pos;
          u32 delta = d[p++];
          if (delta >= 0x80) {
            delta &= 0x7FU;
            int more = 0;
            u8 b = 0;
            do {
              b = d[p++];
              delta = (delta << 7) | (b & 0x7FU);
            } while (b >= 0x80 && ++more < 3);
            if (b >= 0x80) break;  // over 4 bytes
          }
          const u64 at = tick + delta;
          if (at > std::numeric_limits<u32>::max()) break;
          const u32 status_pos = p;
          u8 status = d[p];
          if (status >= 0x80) {
            if (status >= 0xF0) break;
            ++p;
          } else {
            if (run == 0) break;
            status = run;
          }
          const u32 n = channel_data_length(status);
          const u8 d1 = d[p];
          const u8 d2 = n == 2 ? d[p + 1] : u8{0};
          if ((d1 | d2) >= 0x80) break;
          tick = at;
          pos = p + n;
          run = status;
          const Event event{static_cast<u32>(at), status_pos, 0, status, d1, d2};
          events.push_back(event);
        }
        if (pos != run_start) {
          running = run;
          last = LastEvent::Channel;
        }
        if (pos >= limit) break;
      }
      if (pos >= declared_end && has_tag(pos, "MTrk")) break;  // extended read reached the next track
      if (eot) {
        if (has_tag(pos, "MTrk")) {
          if (!report(Recovered::TrackLengthTooLong, index, chunk + 4)) return end_;
          declared_end = pos;
          break;
        }
        if (pos >= declared_end) break;  // extended read: stop at End of Track
        if (!after_eot_reported) {
          after_eot_reported = true;
          if (!report(Recovered::EventsAfterEndOfTrack, index, pos)) return end_;
        }
      }
      const u32 event_start = pos;
      u32 delta = 0;
      if (!resync) {
        if (!read_vlq(pos, limit, delta, too_long)) {
          if (!report(Recovered::TruncatedEvent, index, event_start)) return end_;
          break;
        }
        if (too_long && !vlq_reported) {
          vlq_reported = true;
          if (!report(Recovered::VlqTooLong, index, event_start)) return end_;
        }
      }
      resync = false;
      tick += delta;
      if (tick > std::numeric_limits<u32>::max()) {
        tick = std::numeric_limits<u32>::max();
        if (!overflow_reported) {
          overflow_reported = true;
          if (!report(Recovered::TickOverflow, index, event_start)) return end_;
        }
      }
      if (pos >= limit) {
        if (!report(Recovered::TruncatedEvent, index, event_start)) return end_;
        break;
      }

      const u32 status_pos = pos;
      u8 status = data_[pos];
      if (status < 0x80) {
        // Running status (SMF 1.0 "Events"): the data byte reuses the last channel status.
        if (running == 0) {
          if (!report(Recovered::RunningStatusUnset, index, pos)) return end_;
          ++pos;
          continue;
        }
        if (last == LastEvent::Meta) {
          if (!report(Recovered::RunningStatusAfterMeta, index, pos)) return end_;
        } else if (last == LastEvent::Sysex) {
          if (!report(Recovered::RunningStatusAfterSysex, index, pos)) return end_;
        }
        status = running;
      } else {
        ++pos;
      }

      if (status == kMetaStatus) {
        if (pos >= limit) {
          if (!report(Recovered::TruncatedEvent, index, status_pos)) return end_;
          break;
        }
        const u8 type = data_[pos++];
        u32 len = 0;
        bool vlq_long = false;
        const bool complete_length = read_vlq(pos, limit, len, vlq_long);
        if (!complete_length || len > limit - pos) {
          // Keep what is there: a track cut inside "FF 2F 00" still ends the track.
          if (!report(Recovered::TruncatedEvent, index, status_pos)) return end_;
          if (!complete_length) pos = limit;
          push(pos, limit - pos, kMetaStatus, type, 0);
          pos = limit;
          eot = eot || type == static_cast<u8>(MetaType::EndOfTrack);
          break;
        }
        push(pos, len, kMetaStatus, type, 0);
        if (const int fixed = fixed_meta_length(type);
            fixed >= 0 && static_cast<u32>(fixed) != len && !(type == 0x00 && len == 0) &&
            !report(Recovered::MetaLengthMismatch, index, status_pos)) {
          return end_;
        }
        pos += len;
        last = LastEvent::Meta;
        if (type == static_cast<u8>(MetaType::EndOfTrack)) eot = true;
        continue;
      }

      if (status == kSysexStatus || status == kSysexEscapeStatus) {
        u32 len = 0;
        bool vlq_long = false;
        if (!read_vlq(pos, limit, len, vlq_long) || len > limit - pos) {
          if (!report(Recovered::TruncatedEvent, index, status_pos)) return end_;
          pos = limit;
          break;
        }
        push(pos, len, status, 0, 0);
        pos += len;
        last = LastEvent::Sysex;
        continue;
      }

      // A channel message, or a system common / real-time message (not allowed in an SMF track).
      u32 n = 0;
      if (status < 0xF0) {
        running = status;
        n = channel_data_length(status);
      } else {
        if (is_undefined_status(status)) {
          if (!report(Recovered::UndefinedStatusByte, index, status_pos)) return end_;
          continue;
        }
        if (!report(Recovered::SystemMessageInTrack, index, status_pos)) return end_;
        n = system_data_length(status);
      }
      if (limit - pos < n) {
        if (!report(Recovered::TruncatedEvent, index, status_pos)) return end_;
        pos = limit;
        break;
      }
      const u8 d1 = n >= 1 ? data_[pos] : u8{0};
      const u8 d2 = n == 2 ? data_[pos + 1] : u8{0};
      if (d1 >= 0x80 || d2 >= 0x80) {
        const u32 bad = d1 >= 0x80 ? pos : pos + 1;
        if (!report(Recovered::DataByteOver127, index, bad)) return end_;
        pos = bad;
        resync = true;
        continue;
      }
      pos += n;
      push(status_pos, 0, status, d1, d2);
      last = status < 0xF0 ? LastEvent::Channel : LastEvent::System;
    }

    track.has_end_of_track = eot;
    if (pos > declared_end && !report(Recovered::TrackLengthTooShort, index, chunk + 4)) return end_;
    if (!eot && !report(Recovered::MissingEndOfTrack, index, pos)) return end_;
    return std::max(pos, declared_end);
  }

  Smf smf_;
  const u8* data_;
  std::pmr::memory_resource* mr_;
  u32 size_ = 0;
  u32 end_ = 0;  // end of the SMF: the file's end, or the end of a RIFF "data" chunk
  bool strict_;
};

std::size_t Smf::event_count() const noexcept {
  std::size_t n = 0;
  for (const auto& t : tracks_) n += t.events.size();
  return n;
}

Smf parse(std::span<const std::byte> bytes, std::pmr::memory_resource* mr, const ParseOptions& options) {
  return Reader(bytes, mr, options).run();
}

}  // namespace midisift::parse
