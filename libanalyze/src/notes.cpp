#include "midisift/analyze/notes.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace midisift::analyze {

namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// Sorts `v` by tick (stable: ties keep file order) and keeps one element per tick, the last one
// written, as merging all tracks by tick would leave in force.
template <class T>
void keep_last_per_tick(std::pmr::vector<T>& v, bool sorted) {
  if (!sorted) std::stable_sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.tick < b.tick; });
  std::size_t w = 0;
  for (std::size_t r = 0; r < v.size(); ++r) {
    if (w > 0 && v[w - 1].tick == v[r].tick) v[w - 1] = v[r];
    else v[w++] = v[r];
  }
  v.resize(w);
}

// Merges the per-track runs [bounds[i], bounds[i+1]) of `v`, each sorted by onset, into one run
// sorted by onset with ties in track order: pairwise, O(n log runs).
void merge_runs(std::pmr::vector<Note>& v, std::pmr::vector<std::size_t>& bounds) {
  if (bounds.size() <= 2) return;
  std::pmr::vector<Note> tmp(v.size(), v.get_allocator());
  std::pmr::vector<std::size_t> next(bounds.get_allocator());
  auto by_onset = [](const Note& a, const Note& b) { return a.onset < b.onset; };
  auto at = [](std::pmr::vector<Note>& x, std::size_t i) { return x.begin() + static_cast<std::ptrdiff_t>(i); };
  while (bounds.size() > 2) {
    const std::size_t runs = bounds.size() - 1;
    next.clear();
    next.push_back(0);
    for (std::size_t i = 0; i < runs; i += 2) {
      const std::size_t b = bounds[i];
      const std::size_t m = bounds[i + 1];
      const std::size_t e = i + 1 < runs ? bounds[i + 2] : m;
      // std::merge is stable: on equal onsets the earlier run (earlier track) comes first.
      std::merge(at(v, b), at(v, m), at(v, m), at(v, e), at(tmp, b), by_onset);
      next.push_back(e);
    }
    v.swap(tmp);
    bounds.swap(next);
  }
}

}  // namespace

NoteList extract_notes(const parse::Smf& smf, std::pmr::memory_resource* mr,
                       std::optional<std::uint64_t> expected) {
  NoteList out(mr);
  std::size_t note_ons = 0;
  if (expected) {
    note_ons = static_cast<std::size_t>(*expected);
  } else {
    for (const auto& track : smf.tracks()) {
      for (const auto& e : track.events) note_ons += e.is_note_on() ? 1 : 0;
    }
  }
  out.notes.reserve(note_ons);
  // Per (channel, pitch): FIFO of sounding notes as an intrusive list through `next`.
  std::pmr::vector<std::uint32_t> next(mr);
  next.reserve(note_ons);
  std::array<std::uint32_t, std::size_t{16} * 128> head{};
  std::array<std::uint32_t, std::size_t{16} * 128> tail{};
  std::pmr::vector<std::size_t> bounds(mr);
  bounds.push_back(0);

  std::uint16_t track_index = 0;
  for (const auto& track : smf.tracks()) {
    head.fill(kNone);
    const std::size_t first = out.notes.size();
    for (const auto& e : track.events) {
      const parse::StatusKind kind = e.kind();
      if (kind != parse::StatusKind::NoteOn && kind != parse::StatusKind::NoteOff) continue;
      const std::size_t key = static_cast<std::size_t>(e.channel()) * 128U + (e.data1 & 0x7FU);
      if (e.is_note_on()) {
        const auto index = static_cast<std::uint32_t>(out.notes.size());
        out.notes.push_back(Note{e.tick, kNone, track_index, e.channel(), static_cast<std::uint8_t>(e.data1 & 0x7F),
                                 static_cast<std::uint8_t>(e.data2 & 0x7F)});
        next.push_back(kNone);
        if (head[key] == kNone) head[key] = index; else next[tail[key]] = index;
        tail[key] = index;
      } else if (head[key] == kNone) {
        ++out.unmatched_note_offs;
      } else {
        const std::uint32_t index = head[key];
        out.notes[index].end = e.tick;
        head[key] = next[index];
      }
    }
    const std::uint32_t track_end = track.events.empty() ? 0 : track.events.back().tick;
    for (std::size_t i = first; i < out.notes.size(); ++i) {
      if (out.notes[i].end == kNone) {
        out.notes[i].end = track_end;
        ++out.open_at_track_end;
      }
    }
    if (out.notes.size() != bounds.back()) bounds.push_back(out.notes.size());
    ++track_index;
  }
  merge_runs(out.notes, bounds);
  return out;
}

TempoMap::TempoMap(const parse::Smf& smf, std::pmr::memory_resource* mr)
    : changes_(mr), start_seconds_(mr), sec_per_tick_(mr), ppq_(smf.header().ppq()) {
  bool sorted = true;
  for (const auto& track : smf.tracks()) {
    for (const auto& e : track.events) {
      const auto tempo = tempo_of(smf, e);
      if (!tempo) continue;
      if (!changes_.empty() && e.tick < changes_.back().tick) sorted = false;
      changes_.push_back({e.tick, *tempo});
    }
  }
  keep_last_per_tick(changes_, sorted);
  index();
}

TempoMap::TempoMap(std::pmr::vector<TempoChange> changes, std::uint16_t ppq, std::pmr::memory_resource* mr)
    : changes_(std::move(changes), mr), start_seconds_(mr), sec_per_tick_(mr), ppq_(ppq) {
  keep_last_per_tick(changes_, true);
  index();
}

double TempoMap::Cursor::seconds(std::uint32_t tick) noexcept {
  const auto& changes = map_->changes_;
  while (next_ < changes.size() && changes[next_].tick <= tick) ++next_;
  if (map_->ppq_ == 0) return 0.0;
  if (next_ == 0) return static_cast<double>(tick) * map_->default_sec_per_tick_;
  const std::size_t i = next_ - 1;
  return map_->start_seconds_[i] + static_cast<double>(tick - changes[i].tick) * map_->sec_per_tick_[i];
}

void TempoMap::index() {
  // Seconds per tick are computed once per tempo, not per conversion (the same value either way).
  if (ppq_ != 0) default_sec_per_tick_ = kDefaultTempo * 1e-6 / ppq_;
  sec_per_tick_.resize(changes_.size());
  start_seconds_.resize(changes_.size());
  double seconds = 0.0;
  std::uint32_t at = 0;
  double rate = default_sec_per_tick_;  // seconds per tick in force before changes_[i]
  for (std::size_t i = 0; i < changes_.size(); ++i) {
    seconds += static_cast<double>(changes_[i].tick - at) * rate;
    start_seconds_[i] = seconds;
    at = changes_[i].tick;
    rate = sec_per_tick_[i] = ppq_ == 0 ? 0.0 : static_cast<double>(changes_[i].tempo) * 1e-6 / ppq_;
  }
}

double TempoMap::seconds(std::uint32_t tick) const noexcept {
  if (ppq_ == 0) return 0.0;
  const auto it = std::upper_bound(changes_.begin(), changes_.end(), tick,
                                   [](std::uint32_t t, const TempoChange& c) { return t < c.tick; });
  if (it == changes_.begin()) return static_cast<double>(tick) * default_sec_per_tick_;
  const auto i = static_cast<std::size_t>(it - changes_.begin()) - 1;
  return start_seconds_[i] + static_cast<double>(tick - changes_[i].tick) * sec_per_tick_[i];
}

std::optional<TempoMap::Stats> TempoMap::stats(std::uint32_t end_tick) const noexcept {
  if (ppq_ == 0 || end_tick == 0) return std::nullopt;
  Stats s{std::numeric_limits<double>::max(), 0.0, 0.0};
  std::uint32_t at = 0;
  std::uint32_t tempo = kDefaultTempo;
  bool timed = false;
  auto take = [&](std::uint32_t until) {
    if (until <= at || tempo == 0) return;  // a stopped clock has no BPM
    timed = true;
    const double bpm = 60e6 / tempo;
    s.min_bpm = std::min(s.min_bpm, bpm);
    s.max_bpm = std::max(s.max_bpm, bpm);
  };
  for (const auto& c : changes_) {
    if (c.tick >= end_tick) break;
    take(c.tick);
    at = c.tick;
    tempo = c.tempo;
  }
  take(end_tick);
  const double minutes = seconds(end_tick) / 60.0;
  if (!timed || !(minutes > 0)) return std::nullopt;
  const double quarters = static_cast<double>(end_tick) / ppq_;
  s.mean_bpm = quarters / minutes;
  return s;
}

MeterMap::MeterMap(const parse::Smf& smf, std::uint32_t end_tick, std::pmr::memory_resource* mr,
                   std::size_t max_bars)
    : signatures_(mr), bars_(mr) {
  const std::uint16_t ppq = smf.header().ppq();
  bool sorted = true;
  for (const auto& track : smf.tracks()) {
    for (const auto& e : track.events) {
      const auto ts = time_signature_of(smf, e);
      if (!ts) continue;
      if (!signatures_.empty() && e.tick < signatures_.back().tick) sorted = false;
      signatures_.push_back(*ts);
    }
  }
  keep_last_per_tick(signatures_, sorted);
  if (signatures_.empty() || signatures_.front().tick != 0) signatures_.insert(signatures_.begin(), TimeSignature{});
  if (ppq == 0) {
    complete_ = false;
    return;
  }
  // Count first, so that the bar list is allocated once.
  auto step_of = [&](std::size_t i) { return std::max<std::uint64_t>(1, signatures_[i].bar_ticks(ppq)); };
  auto until_of = [&](std::size_t i) {
    return i + 1 < signatures_.size() ? std::uint64_t{signatures_[i + 1].tick} : std::uint64_t{end_tick} + 1;
  };
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < signatures_.size() && count <= max_bars; ++i) {
    const std::uint64_t until = until_of(i);
    if (until > signatures_[i].tick) count += (until - signatures_[i].tick + step_of(i) - 1) / step_of(i);
  }
  bars_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, max_bars)));
  for (std::size_t i = 0; i < signatures_.size(); ++i) {
    const std::uint64_t step = step_of(i);
    const std::uint64_t until = until_of(i);
    for (std::uint64_t t = signatures_[i].tick; t < until; t += step) {
      if (bars_.size() >= max_bars) {
        complete_ = false;
        return;
      }
      bars_.push_back(static_cast<std::uint32_t>(t));
    }
  }
}

}  // namespace midisift::analyze
