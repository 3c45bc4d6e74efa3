// Key and tempo estimation from notes (no meta events needed).
#pragma once

#include <array>
#include <cstdint>
#include <memory_resource>
#include <optional>
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
};

/// Result of the Krumhansl-Schmuckler key-finding algorithm (Krumhansl 1990, ch. 4): the
/// pitch-class profile is correlated (Pearson) with the profile rotated to each of the 24 keys.
struct KeyEstimate {
  Key key;
  double correlation = 0.0;  ///< Pearson r in [-1, 1] of the best key: the confidence
  Key runner_up;
  double runner_up_correlation = 0.0;
};

/// Estimates the key of a pitch-class profile (12 weights, C first, e.g. total note duration per
/// pitch class). Absent when the profile is flat (no notes, or all 12 classes equally weighted).
[[nodiscard]] std::optional<KeyEstimate> estimate_key(std::span<const double, 12> profile,
                                                      KeyProfile profiles = KeyProfile::KrumhanslKessler) noexcept;

/// One onset of the onset train used for tempo estimation.
struct Onset {
  double seconds;  ///< time of the onset
  float weight;    ///< salience: e.g. the number of notes starting there
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
[[nodiscard]] std::optional<TempoEstimate> estimate_tempo(std::span<const Onset> onsets, std::pmr::memory_resource* mr);

}  // namespace midisift::analyze
