#include "midisift/analyze/metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

namespace midisift::analyze {

namespace {

// muspy's scales (natural minor), C first.
constexpr std::array<bool, 12> kMajorScale{true, false, true, false, true, true, false, true, false, true, false, true};
constexpr std::array<bool, 12> kMinorScale{true, false, true, true, false, true, false, true, true, false, true, false};

double in_scale_rate(const std::array<std::uint64_t, 12>& pc, std::uint64_t total, Key key) noexcept {
  const auto& scale = key.mode == Mode::Major ? kMajorScale : kMinorScale;
  std::uint64_t in = 0;
  for (std::size_t c = 0; c < 12; ++c) {
    if (scale[(c + 12 - key.tonic) % 12]) in += pc[c];
  }
  return static_cast<double>(in) / static_cast<double>(total);
}

template <std::size_t N>
double entropy(const std::array<std::uint64_t, N>& counts, std::uint64_t total) noexcept {
  double h = 0.0;
  for (const auto n : counts) {
    if (n == 0) continue;
    const double p = static_cast<double>(n) / static_cast<double>(total);
    h -= p * std::log2(p);
  }
  return h;
}

// muspy's drum grid within a beat of `ppq` ticks.
bool on_drum_grid(std::uint32_t position, std::uint16_t ppq, bool triple) noexcept {
  if (position == 0) return true;
  if (triple) return ppq % 3 == 0 && position % (ppq / 3) == 0;
  if (ppq % 4 == 0 && position % (ppq / 4) == 0) return true;
  return ppq % 2 == 0 && position % (ppq / 2) == 0;
}

}  // namespace

MuspyMetrics compute_muspy_metrics(std::span<const Note> notes, std::uint16_t ppq, std::uint64_t bar_ticks,
                                   std::optional<Key> key, std::pmr::memory_resource* mr,
                                   PolyphonyStats* sweep) {
  MuspyMetrics m;
  std::array<std::uint64_t, 128> pitch_counts{};
  std::array<std::uint64_t, 12> pc_counts{};
  std::uint64_t pitched = 0;
  std::uint64_t drums = 0, drums_duple = 0, drums_triple = 0;
  std::uint32_t length = 0;  // latest note end, all notes
  std::uint8_t lo = 127, hi = 0;
  for (const auto& n : notes) {
    length = std::max(length, n.end);
    if (n.drum()) {
      ++drums;
      if (ppq != 0) {
        const std::uint32_t pos = n.onset % ppq;
        drums_duple += on_drum_grid(pos, ppq, false) ? 1 : 0;
        drums_triple += on_drum_grid(pos, ppq, true) ? 1 : 0;
      }
      continue;
    }
    ++pitched;
    ++pitch_counts[n.pitch];
    ++pc_counts[n.pitch % 12];
    lo = std::min(lo, n.pitch);
    hi = std::max(hi, n.pitch);
  }
  if (pitched > 0) m.pitch_range = static_cast<std::uint8_t>(hi - lo);
  m.n_pitches_used = static_cast<std::uint8_t>(std::count_if(pitch_counts.begin(), pitch_counts.end(),
                                                             [](std::uint64_t n) { return n > 0; }));
  m.n_pitch_classes_used = static_cast<std::uint8_t>(std::count_if(pc_counts.begin(), pc_counts.end(),
                                                                   [](std::uint64_t n) { return n > 0; }));
  if (pitched > 0) {
    m.pitch_entropy = entropy(pitch_counts, pitched);
    m.pitch_class_entropy = entropy(pc_counts, pitched);
    double best = 0.0;
    for (std::uint8_t t = 0; t < 12; ++t) {
      best = std::max({best, in_scale_rate(pc_counts, pitched, {t, Mode::Major}),
                       in_scale_rate(pc_counts, pitched, {t, Mode::Minor})});
    }
    m.scale_consistency = best;
    if (key) m.pitch_in_scale_rate = in_scale_rate(pc_counts, pitched, *key);
  }
  if (drums > 0 && ppq != 0) {
    const double duple = static_cast<double>(drums_duple) / static_cast<double>(drums);
    const double trip = static_cast<double>(drums_triple) / static_cast<double>(drums);
    m.drum_in_pattern_rate = duple;
    m.drum_pattern_consistency = std::max(duple, trip);
  }

  // Sweep in onset order with a min-heap of sounding note ends: distinct pitches sounding per tick,
  // as muspy's binary pianoroll (length `length` ticks, non-drum notes) counts them.
  if (length > 0) {
    // Sounding notes as (end << 7 | pitch). Polyphony is usually small, and a linear scan for
    // the earliest end then beats a heap; past kScanLimit sounding notes (notes never released,
    // hostile files) the array becomes a min-heap so that time stays O(n log n).
    constexpr std::size_t kScanLimit = 32;
    std::pmr::vector<std::uint64_t> active(mr);
    active.reserve(kScanLimit);
    bool as_heap = false;
    std::array<std::uint32_t, 128> sounding{};
    std::uint32_t distinct = 0;
    std::uint64_t pitch_ticks = 0, on_ticks = 0, poly_ticks = 0;
    std::uint32_t now = 0, most = 0;
    auto advance = [&](std::uint32_t until) {
      if (until > now) {
        const std::uint64_t dt = until - now;
        pitch_ticks += dt * distinct;
        if (distinct > 0) on_ticks += dt;
        if (distinct > 2) poly_ticks += dt;
        now = until;
      }
    };
    auto release_until = [&](std::uint32_t t) {
      while (!active.empty()) {
        std::uint64_t top = 0;
        if (as_heap) {
          top = active.front();
          if ((top >> 7) > t) return;
          std::pop_heap(active.begin(), active.end(), std::greater<>{});
        } else {
          std::size_t k = 0;
          for (std::size_t i = 1; i < active.size(); ++i) {
            if (active[i] < active[k]) k = i;
          }
          top = active[k];
          if ((top >> 7) > t) return;
          active[k] = active.back();
        }
        active.pop_back();
        advance(static_cast<std::uint32_t>(top >> 7));
        if (--sounding[top & 0x7F] == 0) --distinct;
      }
    };
    auto add = [&](std::uint64_t v) {
      active.push_back(v);
      if (as_heap) {
        std::push_heap(active.begin(), active.end(), std::greater<>{});
      } else if (active.size() > kScanLimit) {
        std::make_heap(active.begin(), active.end(), std::greater<>{});
        as_heap = true;
      }
    };
    for (const auto& n : notes) {
      if (n.drum() || n.end == n.onset) continue;
      release_until(n.onset);
      advance(n.onset);
      if (sounding[n.pitch]++ == 0) ++distinct;
      add((static_cast<std::uint64_t>(n.end) << 7) | n.pitch);
      most = std::max(most, static_cast<std::uint32_t>(active.size()));
    }
    release_until(length);
    advance(length);
    if (sweep) {
      sweep->max_notes = most;
      std::uint64_t note_ticks = 0;
      for (const auto& n : notes) note_ticks += n.drum() ? 0 : n.duration();
      if (on_ticks > 0) sweep->mean_notes = static_cast<double>(note_ticks) / static_cast<double>(on_ticks);
    }
    if (on_ticks > 0) m.polyphony = static_cast<double>(pitch_ticks) / static_cast<double>(on_ticks);
    m.polyphony_rate = static_cast<double>(poly_ticks) / static_cast<double>(length);

    // Empty beats: a note covers beats onset/ppq .. end/ppq inclusive; union in onset order.
    if (ppq != 0) {
      const std::uint64_t n_beats = std::uint64_t{length} / ppq + 1;  // 2^32 beats at ppq 1: no 32-bit wrap
      std::uint64_t covered = 0;
      std::int64_t frontier = -1;  // last covered beat
      // Divisions only when a note reaches past the covered beats (the hot loop stays division-free
      // for the many notes that end inside them).
      std::uint64_t covered_until = 0;  // first tick after the last covered beat
      for (const auto& n : notes) {
        if (frontier >= 0 && n.end < covered_until) continue;
        const auto sb = static_cast<std::int64_t>(n.onset / ppq);
        const auto eb = static_cast<std::int64_t>(n.end / ppq);
        if (eb <= frontier) continue;
        covered_until = (static_cast<std::uint64_t>(eb) + 1) * ppq;
        covered += static_cast<std::uint64_t>(eb - std::max(sb - 1, frontier));
        frontier = eb;
      }
      m.empty_beat_rate = 1.0 - static_cast<double>(covered) / static_cast<double>(n_beats);
    }

    // Groove consistency: onsets are in order, so each bar's onset positions arrive sorted.
    if (bar_ticks > 0) {
      const std::uint64_t n_bars = std::uint64_t{length} / bar_ticks + 1;
      if (n_bars >= 2) {
        std::pmr::vector<std::uint64_t> prev(mr), cur(mr);
        std::uint64_t bar = 0, distance = 0;
        auto close_bar = [&](std::uint64_t next_bar) {
          // Hamming distance between prev and cur (sorted unique positions), then between empty
          // bars skipped over (cur then empty: |cur|; empty then empty: 0).
          std::size_t i = 0, j = 0, common = 0;
          while (i < prev.size() && j < cur.size()) {
            if (prev[i] == cur[j]) { ++common; ++i; ++j; }
            else if (prev[i] < cur[j]) ++i;
            else ++j;
          }
          if (bar > 0) distance += prev.size() + cur.size() - 2 * common;
          if (next_bar > bar + 1) distance += cur.size();
          prev.swap(cur);
          cur.clear();
          if (next_bar > bar + 1) prev.clear();
          bar = next_bar;
        };
        std::uint64_t bar_start = 0;  // first tick of `bar`
        for (const auto& n : notes) {
          if (n.onset >= bar_start + bar_ticks) {
            // Onsets ascend: divide only when entering a new bar.
            const std::uint64_t b = n.onset / bar_ticks;
            close_bar(b);
            bar_start = b * bar_ticks;
          }
          const std::uint64_t pos = n.onset - bar_start;
          if (cur.empty() || cur.back() != pos) cur.push_back(pos);
        }
        close_bar(n_bars);
        m.groove_consistency =
            1.0 - static_cast<double>(distance) / (static_cast<double>(bar_ticks) * static_cast<double>(n_bars - 1));
      }
    }
  }
  return m;
}

}  // namespace midisift::analyze
