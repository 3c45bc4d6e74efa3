// Chord labels by template matching (Pardo & Birmingham 2002), spelled in Harte et al.'s syntax.
#pragma once

#include <array>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "midisift/analyze/notes.hpp"

namespace midisift::analyze {

/// The chord vocabulary, with its shorthand in Harte, Sandler, Abdallah & Gomez, "Symbolic
/// representation of musical chords: a proposed syntax for text annotations" (ISMIR 2005).
enum class ChordQuality : std::uint8_t {
  Major,           ///< "maj": 1 3 5
  Minor,           ///< "min": 1 b3 5
  Diminished,      ///< "dim": 1 b3 b5
  Augmented,       ///< "aug": 1 3 #5
  Dominant7,       ///< "7": 1 3 5 b7
  Major7,          ///< "maj7": 1 3 5 7
  Minor7,          ///< "min7": 1 b3 5 b7
  HalfDiminished7, ///< "hdim7": 1 b3 b5 b7
  Suspended4,      ///< "sus4": 1 4 5
  Suspended2,      ///< "sus2": 1 2 5
  Diminished7,     ///< "dim7": 1 b3 b5 bb7 (its four notes are a minor third apart: any can be the root)
};
/// The Harte shorthand: "maj", "min", "dim", "aug", "7", "maj7", "min7", "hdim7", "sus4", "sus2",
/// "dim7".
[[nodiscard]] std::string_view to_string(ChordQuality q) noexcept;

struct Chord {
  std::uint8_t root = 0;  ///< pitch class, C = 0
  ChordQuality quality = ChordQuality::Major;
  std::uint8_t bass = 0;  ///< pitch class of the lowest sounding note
  friend bool operator==(const Chord&, const Chord&) = default;
};

/// The Harte label: root spelled C Db D Eb E F F# G Ab A Bb B, ":" and the shorthand, and, when
/// the bass is not the root, "/" and the bass as a degree above the root ("C:maj/3",
/// "Bb:maj7", "A:min/b7"). See `ChordQuality`.
[[nodiscard]] std::string chord_label(const Chord& c);
/// The label of `c`, or "N" (Harte: no chord) when absent.
[[nodiscard]] std::string chord_label(const std::optional<Chord>& c);

/// Template matching after Pardo & Birmingham, "Algorithms for chordal analysis", Computer Music
/// Journal 26(2), 2002: with the weights normalised to sum 1, each template of the vocabulary at
/// each sounding root scores P - N - M, where P is the weight of its pitch classes, N the
/// weight of the other pitch classes and M the share of its pitch classes that are missing
/// (missing / size) times 1/2. Ties go to the template whose root weighs more, then to the
/// earlier quality in `ChordQuality` (the more common). Absent ("no chord") when the weights are
/// all zero or the best score is not positive. `bass` is copied into the result. Deviation from
/// Pardo & Birmingham: roots that do not sound are not tried (a chord without its root is named by
/// the template its sounding notes fit), which also keeps the cost to sounding roots x 10.
[[nodiscard]] std::optional<Chord> match_chord(std::span<const double, 12> weights, std::uint8_t bass) noexcept;

/// One segment of a chord analysis: the chord from `start_tick` until the next segment.
struct ChordSegment {
  std::uint32_t start_tick = 0;
  std::optional<Chord> chord;  ///< absent: no chord (silence, or no template fits)
};

/// What sounds in one beat, for the chord analysis.
struct BeatWeights {
  std::uint32_t start_tick = 0;
  std::uint8_t lowest = 128;  ///< the lowest pitch sounding in the beat; 128 when nothing sounds
  /// Per pitch class (C first), in note-beats: the ticks its non-drum notes sound inside the beat
  /// over the beat's length (a pitch class held through the beat in two voices weighs 2).
  std::array<double, 12> weights{};
};

/// The weights of each beat [beats[i], beats[i+1]) (the last one ends at `end_tick`; beats of no
/// length are skipped). `notes` sorted by onset (`NoteList::notes`), `beats` ascending. Storage
/// from `mr`. Time: O(beats + notes log notes), whatever the polyphony (notes held over many beats
/// count once per beat through their number, not one by one).
[[nodiscard]] std::pmr::vector<BeatWeights> beat_weights(std::span<const Note> notes,
                                                         std::span<const std::uint32_t> beats,
                                                         std::uint32_t end_tick, std::pmr::memory_resource* mr);

/// Chord segmentation after Pardo & Birmingham's HarmAn (Computer Music Journal 26(2), 2002): of
/// the ways to cut the beats into segments, the one whose segments' scores sum highest, each
/// segment labelled by its best template over its summed weights with the score P - N - M: P the
/// weight of the template's pitch classes, N the weight of the others, M the missing chord tones.
/// The bass is the lowest pitch sounding in the segment; ties between templates as in
/// `match_chord`. The label is "no chord", scoring 0, when nothing sounds or when the best
/// template's pitch classes weigh no more than the others (P <= N); otherwise it is the best
/// template even when M makes its score negative (a beat of a few short notes: the segmentation
/// then prefers to join it to its neighbours).
/// Deviations from Pardo & Birmingham:
/// - a segment is one beat, a bar (`bars`: the ticks where bars start, ascending) or half a bar of
///   4 or more beats (an even number), so that harmony changes on the beat and the cost stays
///   linear (they try every segment);
/// - M is graded: each chord tone adds max(0, 1 - its weight in note-beats), so a tone sounding
///   less than one beat in one voice is partly missing (they count the absent tones). A seventh
///   that only leaks in, from a passing note or a previous harmony held over the bar line (a
///   performance's legato), does not turn a triad into a seventh chord; the seventh of a broken
///   chord that sounds through its bar does (bar 3 of Bach's C major prelude, BWV 846);
/// - a silent beat is always a segment of its own; on a tie the shorter segments stand.
/// Consecutive segments with the same label are one. Measured on BWV 846 against a hand annotation
/// (tests/analyze/chord_labels_test.cpp). Storage from `mr`. Time: O(beats), a bar's beats summed
/// at most three times.
[[nodiscard]] std::pmr::vector<ChordSegment> segment_chords(std::span<const BeatWeights> beats,
                                                            std::span<const std::uint32_t> bars,
                                                            std::pmr::memory_resource* mr);

/// Beat-synchronous chord recognition: each beat's pitch-class weights (`beat_weights`) scored
/// against a template for each of 84 chords (12 roots x maj, min, dim, 7, maj7, min7, dim7), and
/// the sequence of chords that scores highest over all beats, a change of chord costing a fixed
/// amount (less on a bar line of `bars`), found by Viterbi decoding. This is the template-matching
/// HMM of Sheh & Ellis, "Chord segmentation and recognition using EM-trained hidden Markov models"
/// (ISMIR 2003) and Bello & Pickens (ISMIR 2005), on symbolic beats; the self-transition prior is
/// what Cho & Bello, "On the relative importance of individual components of chord recognition
/// systems" (IEEE/ACM TASLP 22(2), 2014), find matters most. A beat's score for a chord is the
/// share of its weight on the chord's notes, plus 0.2 when the lowest sounding pitch is the root
/// (a third of that when it is another chord tone), less a prior: 0.05 for a seventh chord (its
/// seventh must add more than that share: a melody's passing sixth does not turn C major into
/// A:min7), 0.15 for a diminished triad, 0.15 in all for a diminished seventh. "No chord" scores 0.35 and
/// is certain on a silent beat; sus2 and sus4 are not in the vocabulary (their evidence rarely
/// beats the triad's: POP909 annotates 7 % of its time sus, mostly over a sounding third). The
/// bass is the lowest pitch sounding in a run of one chord. Consecutive beats of one label are one
/// segment. Scores: tests/analyze/pop909_test.cpp (POP909, against the 0.5 s template baseline)
/// and chord_labels_test.cpp (BWV 846). Storage from `mr`. Time: O(beats x 85).
[[nodiscard]] std::pmr::vector<ChordSegment> track_chords(std::span<const BeatWeights> beats,
                                                          std::span<const std::uint32_t> bars,
                                                          std::pmr::memory_resource* mr);

/// `segment_chords(beat_weights(notes, beats, end_tick, mr), bars, mr)`.
[[nodiscard]] std::pmr::vector<ChordSegment> chord_segments(std::span<const Note> notes,
                                                            std::span<const std::uint32_t> beats,
                                                            std::span<const std::uint32_t> bars,
                                                            std::uint32_t end_tick, std::pmr::memory_resource* mr);

/// The beats of a metrical grid: every beat of every bar of `meter`, a beat being the time
/// signature's denominator note, or the dotted beat (three of them) in compound meters
/// (`compound_meter`). Bars end at the next bar or at `end_tick`. Empty when ppq is 0, and
/// when there would be more than `max_beats` (a hostile meter at ppq 1 must not cost gigabytes).
[[nodiscard]] std::pmr::vector<std::uint32_t> beat_ticks(const MeterMap& meter, std::uint16_t ppq,
                                                         std::uint32_t end_tick, std::pmr::memory_resource* mr,
                                                         std::size_t max_beats = std::size_t{1} << 18);

/// Bar lines found in the music where the notation's cannot be trusted (a grid out of phase with
/// its notation, a 1/4 signature): every `beats_per_bar` beats of `beats` (`beat_weights` of the
/// beat grid), starting at the phase 0 .. beats_per_bar - 1 at which the harmony changes most. A
/// beat's change is the L1 distance between its pitch-class weights and the previous beat's, each
/// normalised to sum 1 (a silent beat has none); harmony changes mostly at the bar line (the
/// harmonic-change cue of Goto & Muraoka, "Real-time beat tracking for drumless audio signals:
/// chord change detection for musical decisions", Speech Communication 27, 1999; on POP909's odd
/// songs the prevailing downbeat of 318 of 455). Returns the start ticks of the bars, ascending;
/// the first is tick 0 (a pickup bar before the first downbeat). Empty for no beats or
/// `beats_per_bar` 0.
[[nodiscard]] std::pmr::vector<std::uint32_t> bars_from_harmony(std::span<const BeatWeights> beats,
                                                                unsigned beats_per_bar,
                                                                std::pmr::memory_resource* mr);

/// Compound meter: a numerator of 6, 9, 12, ... (divisible by 3, at least 6) over any denominator,
/// counted in dotted beats of three denominator notes: 6/8 has two dotted-quarter beats a bar, 6/4
/// two dotted halves, 12/16 four dotted eighths (the textbook rule, e.g. Kostka & Payne, "Tonal
/// Harmony", ch. 2; ASAP's beat annotations count 6/4 the same way). 3/8 and 3/4 are simple triple.
[[nodiscard]] constexpr bool compound_meter(const TimeSignature& ts) noexcept {
  return ts.numerator >= 6 && ts.numerator % 3 == 0;
}

}  // namespace midisift::analyze
