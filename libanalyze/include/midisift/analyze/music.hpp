// Everything libanalyze says about the music of one file: tempo, meter, key, notes, instruments,
// MusPy metrics, fingerprint and loop candidates.
#pragma once

#include <array>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "midisift/analyze/estimate.hpp"
#include "midisift/analyze/expressive.hpp"
#include "midisift/analyze/harmony.hpp"
#include "midisift/analyze/metrics.hpp"
#include "midisift/analyze/notes.hpp"
#include "midisift/analyze/patterns.hpp"
#include "midisift/parse/smf.hpp"

namespace midisift::analyze {

/// The 16 instrument families of General MIDI 1 (MMA, "General MIDI System Level 1", 1991), eight
/// programs each, program 0 first: "Piano", "Chromatic Percussion", ... "Sound Effects".
[[nodiscard]] std::string_view gm_family(std::uint8_t program) noexcept;
/// The General MIDI 1 program name, e.g. 0 -> "Acoustic Grand Piano", 128 names.
[[nodiscard]] std::string_view gm_program_name(std::uint8_t program) noexcept;

/// A program in use: notes played in `track` on `channel` while `program` was selected there.
/// Program state is per channel and shared by all tracks, merged by tick (MIDI 1.0); before any
/// program change a channel plays program 0 (GM 1 default, Acoustic Grand Piano).
struct InstrumentUse {
  std::uint16_t track = 0;
  std::uint8_t channel = 0;
  std::uint8_t program = 0;      ///< 0-127; on the drum channel it selects a drum kit
  std::uint32_t first_tick = 0;  ///< onset of the first such note
  std::uint32_t notes = 0;
};

/// The instrument's label: its GM program name and family, or "Drum Kit" and "Drums" on the drum
/// channel (where the program selects a kit, not an instrument).
[[nodiscard]] std::string_view instrument_name(const InstrumentUse& u) noexcept;
[[nodiscard]] std::string_view instrument_family(const InstrumentUse& u) noexcept;

/// Key signature from FF 59 02 sf mi (SMF 1.0 "Key Signature").
struct KeySignature {
  std::int8_t sharps = 0;  ///< -7 (7 flats) to 7 (7 sharps)
  Mode mode = Mode::Major;
  /// The key it names: tonic from the circle of fifths (C major / A minor for 0).
  [[nodiscard]] Key key() const noexcept;
  /// The key spelled as its sharps or flats imply: 3 flats major is "Eb major", 7 flats "Cb
  /// major", 6 sharps minor "D# minor" (where key_name(key()) gives the conventional "Eb minor").
  [[nodiscard]] std::string_view name() const noexcept;
};

/// The evidence `estimate_key(const KeyEvidence&)` uses in `analyze_music`: the duration profile
/// of the non-drum notes (their counts when every duration is 0), the first and last four quarter
/// notes (ticks of `ppq`; at SMPTE division, 2 s through `seconds_per_tick`), the lowest pitch
/// starting within an eighth note of the last onset, and the key signature's sharps. `notes` as in
/// `NoteList::notes`.
[[nodiscard]] KeyEvidence key_evidence(std::span<const Note> notes, std::uint16_t ppq, double seconds_per_tick,
                                       std::optional<KeySignature> signature);

struct MusicalFacts {
  // Tempo: statistics of the tempo map over the file (see TempoMap::stats) and an estimate from the
  // notes alone: `estimate_tempo` over onsets weighted by durational accent for a quantised file,
  // `estimate_tempo_with_rubato` over `beat_salient_onsets` for a performance (or a file whose
  // grid is unknown). Absent for SMPTE division and ppq 0.
  std::optional<double> tempo_min_bpm, tempo_max_bpm, tempo_mean_bpm;
  std::optional<TempoEstimate> estimated_tempo;

  /// The tempo at the beat people count, and at the metrical levels above and below it.
  struct BeatTempo {
    /// Beats per minute. A quantised file (`expressive` false) counts the notated beats of its
    /// bar grid (`beat_ticks`: every time signature in its place, 4/4 when there is none; the
    /// denominator's note, the dotted beat of a compound meter) through its tempo map: 60 / the
    /// median beat length in seconds, the statistic of ASAP's annotated beats (Foscarin et al.
    /// 2020). 6/8 at 120 quarter notes a minute counts 80 dotted quarters a minute; a pickup bar
    /// or a slow introduction does not decide it. Where the grid is incomplete (see MeterMap) or
    /// has more beats than notes (and 64 more), the prevailing signature's beat at the
    /// time-weighted mean tempo. An expressive performance, whose ticks need not follow its tempo
    /// map, takes `estimated_tempo`.
    double bpm = 0.0;
    /// The level above (slower), from the prevailing time signature (the one in force over the
    /// most ticks): the bar of a meter of 2 or 3 beats, the half bar of 4; bpm / 3 when the beats
    /// per bar divide by 3 (3/4, 9/8), else bpm / 2.
    double above_bpm = 0.0;
    /// The level below (faster): the beat's subdivision, bpm * 3 in a compound meter, else * 2.
    double below_bpm = 0.0;
    bool from_meter = false;  ///< counted from the time signature and tempo map, not estimated
  };
  /// Absent without a tempo map (SMPTE division) and without an estimate.
  std::optional<BeatTempo> beat_tempo;

  // Meter and key signature meta events, across all tracks.
  std::optional<TimeSignature> time_signature;  ///< the first, by tick
  std::uint32_t time_signature_changes = 0;     ///< time-signature events
  std::optional<KeySignature> key_signature;    ///< the first, by tick
  std::uint32_t key_signature_changes = 0;      ///< key-signature events

  /// The key of the whole piece: `estimate_key(const KeyEvidence&)` over the pitch-class
  /// profile weighted by note duration in ticks (drums excluded), the first and last four quarter
  /// notes, the final sonority's bass and the first key signature. Scores on ASAP and beside the
  /// textbook methods: tests/analyze/asap_test.cpp.
  std::optional<KeyEstimate> estimated_key;

  /// A key region of the windowed key analysis: `key_segments` over windows of 8 bars.
  struct KeyRegion {
    std::uint32_t start_bar = 0;   ///< from 0
    std::uint32_t start_tick = 0;
    double start_seconds = 0.0;    ///< through the tempo map
    Key key;
    double confidence = 0.0;       ///< see KeySegment::confidence
  };
  /// Key regions in order (the first at bar 0); empty without notes, for SMPTE division, when the
  /// bar grid is incomplete (see MeterMap), and when there are more windows than notes (memory stays
  /// in proportion to the input).
  std::pmr::vector<KeyRegion> key_regions;
  /// Number of key changes: key_regions.size() - 1; absent when there are no regions.
  std::optional<std::uint32_t> key_changes;

  /// A chord of the chord analysis: from `start_tick` until the next one (see `chord_segments`,
  /// per beat of the bar grid of `MeterMap` and `beat_ticks`).
  struct ChordRegion {
    std::uint32_t start_tick = 0;
    double start_seconds = 0.0;
    std::optional<Chord> chord;    ///< absent: no chord ("N")
  };
  /// `track_chords` over the beats of `beats`. Only for quantised files (`expressive` false): a
  /// performance's ticks need not follow its bar grid (a beat tracker would be needed). Empty
  /// without notes, for SMPTE division, when the bar grid is incomplete, and when there are more
  /// than a beat per note plus 64 (memory stays in proportion to the input).
  std::pmr::vector<ChordRegion> chords;

  /// NOMML of each track (see `nomml_per_track`), indexed by track; absent for a track without
  /// notes. All absent for SMPTE division.
  std::pmr::vector<std::optional<double>> nomml;
  /// An expressive performance rather than a quantised sequence (see `expressive`), with NOMML
  /// measured against the grid at `grid_offset_ticks`.
  std::optional<bool> expressive;
  /// The phase of a quantised file's quarter-note grid (`grid_offset`): 0 .. ppq - 1 ticks after
  /// the notated beat. Absent for performances (`expressive`), without notes and at ppq 0.
  std::optional<std::uint32_t> grid_offset_ticks;

  /// A beat of the beat grid the chords, key regions and loops stand on.
  struct Beat {
    std::uint32_t tick = 0;
    double seconds = 0.0;   ///< through the tempo map
    bool downbeat = false;  ///< the first beat of a bar
  };
  /// The beat grid of a quantised file: the notated beats (`beat_ticks`), shifted by
  /// `grid_offset_ticks`; where the notated bar lines cannot be trusted (the grid is out of phase
  /// with the notation, or a bar holds one beat) the bars are found in the music
  /// (`bars_from_harmony`, 4 beats a bar, 3 in a simple triple meter). Empty for performances,
  /// without notes, for SMPTE division and where `chords` would be empty for the size of the grid.
  std::pmr::vector<Beat> beats;

  // Notes (see extract_notes).
  std::uint64_t notes = 0;
  std::uint64_t drum_notes = 0;                  ///< notes on the drum channel
  std::uint32_t unmatched_note_offs = 0;
  std::uint32_t notes_open_at_track_end = 0;
  std::optional<double> pitch_mean;              ///< non-drum notes
  std::optional<double> velocity_mean;           ///< all notes
  std::optional<double> velocity_std;            ///< population standard deviation, all notes
  std::array<std::uint32_t, 12> pitch_class_histogram{};  ///< non-drum note counts, C first
  std::uint32_t polyphony_max = 0;               ///< most notes sounding at once (drums excluded)
  /// Mean number of notes sounding over the time at least one sounds (drums excluded).
  std::optional<double> polyphony_mean;
  /// notes / last_note_seconds: the rate over the music, not over trailing silence.
  std::optional<double> notes_per_second;
  /// Seconds at the end of the last note to end (the latest note-off, TempoMap): how long the
  /// music lasts, where `duration_seconds` runs to the last event of any track (a tempo track's
  /// late End of Track included). Absent without notes, and where `duration_seconds` is absent
  /// (format 2, SMPTE division, division 0).
  std::optional<double> last_note_seconds;

  // Instruments and text.
  std::pmr::vector<InstrumentUse> instruments;   ///< sorted by track, channel, first tick
  std::uint16_t gm_family_mask = 0;              ///< bit f: a non-drum note played in GM family f
  /// The families of `gm_family_mask` by name, in GM order, then "Drums" when there are drum notes.
  [[nodiscard]] std::vector<std::string_view> gm_families() const;
  /// First Sequence/Track Name (FF 03) of each track, UTF-8 (Latin-1 when the bytes are not UTF-8);
  /// empty for a track without one.
  std::pmr::vector<std::pmr::string> track_names;
  bool has_lyrics = false;  ///< a Lyric meta event (FF 05), or karaoke text (see `lyrics`)
  /// The words as sung, UTF-8 (Latin-1 when a syllable is not UTF-8): the Lyric events (FF 05) in
  /// tick order, syllables joined as written ('\r' and '\n' end a line); without any, the karaoke
  /// text of a .kar file (Text events, FF 01, of the track named "Words", or of every track when
  /// the file has an "@K" karaoke header: "@" lines are its header and left out, a syllable
  /// starting with '\\' starts a paragraph and one starting with '/' a line, as in Tune 1000's
  /// KMIDI format). Empty when the file has neither.
  std::pmr::string lyrics;
  bool has_text = false;    ///< a Text meta event (FF 01)

  MuspyMetrics metrics;
  std::optional<std::array<std::uint8_t, 16>> fingerprint;
  std::pmr::vector<LoopCandidate> loops;

  explicit MusicalFacts(std::pmr::memory_resource* mr)
      : key_regions(mr), chords(mr), nomml(mr), beats(mr), instruments(mr), track_names(mr), lyrics(mr), loops(mr) {}
};

/// Analyzes the music of `smf`, using `facts` (compute_facts of the same file) for the duration.
/// All storage, returned and temporary, comes from `mr`: with an arena, reset it only after the
/// result is no longer used. Time: linear in the events, plus O(n log t) to merge t tracks.
[[nodiscard]] MusicalFacts analyze_music(const parse::Smf& smf, const FileFacts& facts, std::pmr::memory_resource* mr);

}  // namespace midisift::analyze
