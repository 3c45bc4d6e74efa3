// Key and tempo estimation from notes (no meta events needed).
#pragma once

#include <array>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <vector>
#include <span>
#include <string_view>

namespace midisift::analyze {

enum class Mode : std::uint8_t { Major, Minor };
[[nodiscard]] std::string_view to_string(Mode m) noexcept;

/// A key: tonic pitch class (0-11, C = 0) and mode.
struct Key {
  std::uint8_t tonic = 0;
  Mode mode = Mode::Major;
  friend bool operator==(const Key&, const Key&) = default;
};
/// The conventional name of a key, as musicians, music21 and pretty_midi spell it: the spelling
/// with fewer accidentals ("Eb major", "Bb minor", "C# minor", "Ab major", "Db major"), and for the
/// ties of six accidentals "F# major" and "Eb minor".
[[nodiscard]] std::string_view key_name(Key k) noexcept;

/// Key profiles: the expected weight of each pitch class above the tonic, major then minor.
enum class KeyProfile : std::uint8_t {
  /// Krumhansl & Kessler (1982), probe-tone ratings; Krumhansl, "Cognitive Foundations of Musical
  /// Pitch" (1990), table 4.1. The profiles of the Krumhansl-Schmuckler algorithm.
  KrumhanslKessler,
  /// Temperley, "Music and Probability" (2007), profiles from the Kostka-Payne corpus.
  Temperley,
  /// Aarden (2003), "Dynamic melodic expectancy", major and minor profiles from the Essen folk song
  /// collection.
  AardenEssen,
  /// Albrecht & Shanahan, "The use of large corpora to train a new type of key-finding algorithm:
  /// an improved treatment of the minor mode", Music Perception 31(1), 2013.
  AlbrechtShanahan,
  /// Bellman, "About the determination of key of a musical excerpt", CMMR 2005: profiles from
  /// Budge's (1943) chord-frequency counts.
  BellmanBudge,
};
/// Every published profile above, in declaration order: the ensemble of `key_scores`.
inline constexpr std::array<KeyProfile, 5> kKeyProfiles{KeyProfile::KrumhanslKessler, KeyProfile::Temperley,
                                                        KeyProfile::AardenEssen, KeyProfile::AlbrechtShanahan,
                                                        KeyProfile::BellmanBudge};
[[nodiscard]] std::string_view to_string(KeyProfile p) noexcept;

/// Result of the Krumhansl-Schmuckler key-finding algorithm (Krumhansl 1990, ch. 4): the
/// pitch-class profile is correlated (Pearson) with the profile rotated to each of the 24 keys.
struct KeyEstimate {
  Key key;
  double correlation = 0.0;  ///< Pearson r in [-1, 1] of the profile with the key's (mean over an ensemble)
  Key runner_up;
  double runner_up_correlation = 0.0;
  /// Probability in [0, 1] that `key` is right, from the scores of all 24 keys (see
  /// `estimate_key(const KeyEvidence&)`); for the single-profile method, the softmax of its 24
  /// correlations at the same temperature.
  double confidence = 0.0;
};

/// Index of a key in the 24-key arrays below: tonic for major (0-11), 12 + tonic for minor.
[[nodiscard]] constexpr std::size_t key_index(Key k) noexcept {
  return (k.mode == Mode::Major ? 0U : 12U) + (k.tonic % 12U);
}
[[nodiscard]] constexpr Key key_at(std::size_t index) noexcept {
  return Key{static_cast<std::uint8_t>(index % 12), index < 12 ? Mode::Major : Mode::Minor};
}

/// The mean Pearson correlation of `profile` with each of the 24 keys over the published profiles
/// of `kKeyProfiles` (an ensemble: no one corpus's profile decides), indexed by `key_index`. All
/// zero for a flat profile.
[[nodiscard]] std::array<double, 24> key_scores(std::span<const double, 12> profile) noexcept;

/// The evidence of one piece for `estimate_key(const KeyEvidence&)`. Profiles are weights per
/// pitch class, C first (total note duration, any unit), drums excluded.
struct KeyEvidence {
  std::array<double, 12> profile{};  ///< the whole piece
  std::array<double, 12> opening{};  ///< the first four quarter notes from the first onset
  std::array<double, 12> ending{};   ///< the last four quarter notes up to the last note-off
  /// Pitch class of the lowest note of the final sonority (the notes starting within an eighth
  /// note of the last onset); absent without notes.
  std::optional<std::uint8_t> final_bass;
  /// The key signature meta event's number of sharps (negative: flats), when the file has one.
  std::optional<std::int8_t> key_signature_sharps;
};

/// Key estimate from several kinds of evidence, each one robust across genres and none fitted to
/// one corpus. The score of each of the 24 keys is
///   key_scores(profile) + 0.1 key_scores(opening) + 0.2 key_scores(ending)
///   + 0.1 [final_bass is the tonic] + 0.3 [a key signature of 1-7 sharps or flats names the key],
/// where the opening and ending express that a piece usually starts and ends in its key (the
/// final sonority's bass being the tonic most of all), and a key signature counts for both the
/// major key it names and its relative minor, but only when it is not C major / A minor: Raffel &
/// Ellis, "Extracting ground-truth information from MIDI files: a MIDIfesto" (ISMIR 2016) found
/// non-C-major key signature events agree with annotations 84 % of the time and C major ones 17 %
/// (a sequencer's default). `confidence` is the softmax of the 24 scores at temperature 0.1
/// (calibrated on ASAP's development part: see tests/analyze/asap_test.cpp). Absent when the
/// whole-piece profile is flat.
[[nodiscard]] std::optional<KeyEstimate> estimate_key(const KeyEvidence& evidence) noexcept;

/// One segment of a windowed key analysis.
struct KeySegment {
  std::uint32_t start_window = 0;  ///< index of its first window
  Key key;
  double confidence = 0.0;  ///< mean over its windows of the softmax probability of `key`
};

/// Key changes: `windows` holds one pitch-class profile per window (e.g. per 8 bars); each window
/// is scored with `key_scores` and the best key sequence is found by Viterbi over the 24 keys with
/// a penalty of 1.0 (in correlation units) per change (after Temperley, "Music and Probability",
/// 2007, ch. 4: a key persists unless the evidence for another outweighs the cost of modulating).
/// Windows with a flat profile take the key of their neighbours. Returns the segments in order,
/// the first starting at window 0; empty when every window is flat. Storage from `mr`.
[[nodiscard]] std::pmr::vector<KeySegment> key_segments(std::span<const std::array<double, 12>> windows,
                                                        std::pmr::memory_resource* mr);

/// Estimates the key of a pitch-class profile (12 weights, C first, e.g. total note duration per
/// pitch class). Absent when the profile is flat (no notes, or all 12 classes equally weighted).
[[nodiscard]] std::optional<KeyEstimate> estimate_key(std::span<const double, 12> profile,
                                                      KeyProfile profiles = KeyProfile::KrumhanslKessler) noexcept;

/// One onset of the onset train used for tempo estimation.
struct Onset {
  double seconds;  ///< time of the onset
  float weight;    ///< salience: e.g. the number of notes starting there, or their durational accents
};

/// Tempo estimate: the beat period that best explains the onsets.
struct TempoEstimate {
  double bpm = 0.0;
  /// Margin of the winner over the best rival that is not at the same, double or half tempo,
  /// (s1 - s2) / s1, in [0, 1]: 0 when two unrelated tempi fit equally well.
  double confidence = 0.0;
};

/// Estimates the tempo from onset times, sorted by time, with the autocorrelation of the onset
/// train (Brown, "Determination of the meter of musical scores by autocorrelation", JASA 1993;
/// the tempo-weighted autocorrelation of Ellis, "Beat tracking by dynamic programming", JNMR 2007).
/// The autocorrelation is computed sparsely over pairs of onsets at most 2 s apart (onsets within
/// 30 ms are merged first), histogrammed by lag in milliseconds; each candidate beat period P in
/// 40-240 BPM scores the autocorrelation mass at P and 2P (weight 1/2) within +-4 %, less the mass
/// that pairs spread evenly over all lags would put in the same window,
/// weighted by a log-Gaussian prior centred on 120 BPM with a standard deviation of one octave
/// (Ellis 2007, eq. 7). Absent with fewer than 8 onsets. Temporary storage from `mr`.
/// Cost: linear in the number of onset pairs at most 2 s apart.
/// The salience of a note of `seconds` for the tempo: Parncutt's durational accent, 1 - exp(-d /
/// 0.5 s) (Parncutt, "A perceptual model of pulse salience and metrical accent in musical
/// rhythms", Music Perception 11(4), 1994: a saturation duration of about 0.5 s): a long note
/// marks the beat more than a short one, and no note counts more than 1.
[[nodiscard]] float durational_accent(double seconds) noexcept;

/// A log-Gaussian prior over the beat rate: centre and standard deviation in octaves.
struct TempoPrior {
  double bpm = 120.0;
  double octaves = 1.0;
};
[[nodiscard]] std::optional<TempoEstimate> estimate_tempo(std::span<const Onset> onsets, std::pmr::memory_resource* mr,
                                                          TempoPrior prior = {});

/// The tempo of a performance whose tempo moves (rubato): `estimate_tempo` over the whole piece,
/// then again over consecutive windows of 8 s with the prior centred on the whole piece's estimate
/// (0.3 octaves: the same metrical level; candidates 1 % apart, none beyond 0.9 octaves), and the
/// median of the windows' tempi (with 3 windows or more; else the whole piece's). The median of
/// local tempi follows the beat people count (ASAP's annotations: the median inter-beat interval)
/// more closely than one period for the whole piece. `confidence` is the whole piece's. Cost:
/// about twice `estimate_tempo`; one set of working buffers from `mr` for all windows.
[[nodiscard]] std::optional<TempoEstimate> estimate_tempo_with_rubato(std::span<const Onset> onsets,
                                                                      std::pmr::memory_resource* mr);

}  // namespace midisift::analyze
