// Notes paired from note-on/note-off events, and the maps that turn ticks into seconds and bars.
#pragma once

#include <cstdint>
#include <memory_resource>
#include <span>
#include <vector>

#include "midisift/analyze/facts.hpp"
#include "midisift/parse/smf.hpp"

namespace midisift::analyze {

/// General MIDI percussion channel: channel 10, numbered 9 from zero (GM 1 "Percussion").
inline constexpr std::uint8_t kDrumChannel = 9;

/// One sounding note, 16 bytes. Times are absolute ticks in the note's track.
struct Note {
  std::uint32_t onset;     ///< tick of the note-on
  std::uint32_t end;       ///< tick of the matching note-off, or the track's last tick if never released
  std::uint16_t track;     ///< index of the MTrk chunk
  std::uint8_t channel;    ///< 0-15
  std::uint8_t pitch;      ///< MIDI key number 0-127 (60 = middle C)
  std::uint8_t velocity;   ///< 1-127
  std::uint8_t reserved = 0;

  [[nodiscard]] constexpr bool drum() const noexcept { return channel == kDrumChannel; }
  [[nodiscard]] constexpr std::uint32_t duration() const noexcept { return end - onset; }
};
static_assert(sizeof(Note) == 16);

/// The notes of a file.
struct NoteList {
  /// Sorted by onset; ties keep track order, then file order. Allocated from the resource given
  /// to `extract_notes`.
  std::pmr::vector<Note> notes;
  std::uint32_t unmatched_note_offs = 0;  ///< note-offs with no sounding note of that pitch and channel
  std::uint32_t open_at_track_end = 0;    ///< notes never released, ended at their track's last tick

  explicit NoteList(std::pmr::memory_resource* mr) : notes(mr) {}
};

/// Pairs note-ons with note-offs, track by track (MIDI 1.0: a note-on with velocity 0 is a note-off).
/// Several sounding notes of the same pitch and channel in a track are released first in, first out
/// (as pretty_midi and muspy do). A note never released ends at its track's last event. Events after
/// End of Track are used, as for the counts in `FileFacts`. Memory: 16 bytes per note, from `mr`.
/// `note_ons`, when known (FileFacts::note_on_events), saves a counting pass.
[[nodiscard]] NoteList extract_notes(const parse::Smf& smf, std::pmr::memory_resource* mr,
                                     std::optional<std::uint64_t> note_ons = std::nullopt);

/// Ticks to seconds through the set-tempo events of all tracks (SMF 1.0 "Set Tempo": in format 1
/// the tempo map lives in the first track and applies to all; here any track's tempo counts, the
/// later track winning a tie). Only meaningful for metrical division (ppq > 0). The one tempo map
/// of the library: `compute_facts`' duration, `analyze_music`'s seconds and the Python module's
/// all come from it.
///
/// A Set Tempo of 0 microseconds per quarter note stops the clock: the ticks until the next Set
/// Tempo take no time (seconds = ticks x tempo / ppq, as mido computes them). It has no BPM: it is
/// left out of `stats`' minimum and maximum.
class TempoMap {
 public:
  /// Reads every track's set-tempo events. Storage from `mr`.
  TempoMap(const parse::Smf& smf, std::pmr::memory_resource* mr);
  /// From changes sorted by tick (ties in file order: the last one at a tick wins). Storage from `mr`.
  TempoMap(std::pmr::vector<TempoChange> changes, std::uint16_t ppq, std::pmr::memory_resource* mr);

  /// Seconds at `tick`; O(log changes). 0 when ppq is 0.
  [[nodiscard]] double seconds(std::uint32_t tick) const noexcept;

  /// Seconds at ticks that never decrease, in amortised O(1) each (a forward-moving cursor over
  /// the changes); the same values as `seconds`. Valid while its map lives.
  class Cursor {
   public:
    explicit Cursor(const TempoMap& map) noexcept : map_(&map) {}
    /// Seconds at `tick`, which must not be less than the previous call's.
    [[nodiscard]] double seconds(std::uint32_t tick) noexcept;

   private:
    const TempoMap* map_;
    std::size_t next_ = 0;  ///< the first change after the current segment
  };
  /// The changes in force, sorted by tick, one per tick (the last one written wins).
  [[nodiscard]] std::span<const TempoChange> changes() const noexcept { return changes_; }
  [[nodiscard]] std::uint16_t ppq() const noexcept { return ppq_; }

  /// Tempo statistics over [0, end_tick) in beats per minute (quarter notes per minute).
  struct Stats {
    double min_bpm, max_bpm;
    double mean_bpm;  ///< time-weighted: quarter notes played per minute of the file
  };
  /// Absent when ppq is 0, `end_tick` is 0, or no time passes before it (every tempo in force is 0).
  [[nodiscard]] std::optional<Stats> stats(std::uint32_t end_tick) const noexcept;

 private:
  void index();  // start_seconds_ from changes_
  std::pmr::vector<TempoChange> changes_;
  std::pmr::vector<double> start_seconds_;  ///< seconds at changes_[i].tick
  std::pmr::vector<double> sec_per_tick_;   ///< seconds per tick from changes_[i].tick on
  double default_sec_per_tick_ = 0.0;       ///< before the first change (120 BPM)
  std::uint16_t ppq_;
};

/// Time signature from the meta event FF 58 04 nn dd cc bb (SMF 1.0 "Time Signature"):
/// numerator, and the denominator as a power of two (dd = 2 is a quarter note).
struct TimeSignature {
  std::uint32_t tick = 0;
  std::uint8_t numerator = 4;
  std::uint8_t denominator = 4;  ///< the note value, 2^dd: 4 = quarter note

  /// Ticks per bar at `ppq` ticks per quarter note: ppq * 4 * numerator / denominator.
  [[nodiscard]] constexpr std::uint64_t bar_ticks(std::uint16_t ppq) const noexcept {
    return static_cast<std::uint64_t>(ppq) * 4U * numerator / denominator;
  }
};

/// The time signature of a Time Signature meta event (FF 58 04 nn dd cc bb, at least nn and dd
/// present). Absent for any other event, and for a numerator of 0 or a note value finer than a
/// 64th (dd > 6), which no bar line can be drawn from.
/// Inline: it is called for every event of every track.
[[nodiscard]] inline std::optional<TimeSignature> time_signature_of(const parse::Smf& smf,
                                                                    const parse::Event& e) noexcept {
  if (!e.is_meta(parse::MetaType::TimeSignature) || e.length < 2) return std::nullopt;
  const auto p = smf.payload(e);
  const auto num = std::to_integer<std::uint8_t>(p[0]);
  const auto dd = std::to_integer<std::uint8_t>(p[1]);
  if (num == 0 || dd > 6) return std::nullopt;
  return TimeSignature{e.tick, num, static_cast<std::uint8_t>(1U << dd)};
}

/// Bar lines from the time signatures of all tracks (4/4 until the first one, as the SMF 1.0 spec
/// assumes). A time signature that does not fall on a bar line starts a new bar where it stands.
class MeterMap {
 public:
  /// At most `max_bars` bars are laid out up to `end_tick`; `bars()` is then incomplete and
  /// `complete()` false (a file at ppq 1 lasting 2^32 ticks must not cost gigabytes).
  MeterMap(const parse::Smf& smf, std::uint32_t end_tick, std::pmr::memory_resource* mr,
           std::size_t max_bars = 1U << 16);

  /// Start tick of each bar, ascending; the last bar contains `end_tick`.
  [[nodiscard]] std::span<const std::uint32_t> bars() const noexcept { return bars_; }
  [[nodiscard]] bool complete() const noexcept { return complete_; }
  /// Time signatures in force, sorted by tick (a 4/4 default at tick 0 when none is at tick 0).
  [[nodiscard]] std::span<const TimeSignature> signatures() const noexcept { return signatures_; }

 private:
  std::pmr::vector<TimeSignature> signatures_;
  std::pmr::vector<std::uint32_t> bars_;
  bool complete_ = true;
};

}  // namespace midisift::analyze
