// Chords, NOMML and the evidence-based key on hand-built inputs whose answers are known.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory_resource>
#include <string>
#include <vector>

#include "midisift/analyze/estimate.hpp"
#include "midisift/analyze/expressive.hpp"
#include "midisift/analyze/harmony.hpp"

namespace midisift::analyze {
namespace {

Note note(std::uint32_t onset, std::uint32_t end, std::uint8_t pitch, std::uint16_t track = 0) {
  return Note{onset, end, track, 0, pitch, 80};
}

TEST(Chords, AHandBuiltProgressionIsLabelledInHarteSyntax) {
  constexpr std::uint32_t q = 480;  // one beat a chord
  // C/C, F/A (first inversion), G7/G, A minor, Bb maj7, B half-diminished, then silence.
  const std::vector<std::vector<std::uint8_t>> chords = {{48, 64, 67, 72}, {45, 65, 69, 72}, {43, 59, 62, 65},
                                                         {45, 60, 64, 69}, {46, 62, 65, 69}, {47, 62, 65, 69}};
  std::vector<Note> notes;
  for (std::uint32_t i = 0; i < chords.size(); ++i) {
    for (const auto p : chords[i]) notes.push_back(note(i * q, (i + 1) * q, p));
  }
  std::vector<std::uint32_t> beats;
  for (std::uint32_t i = 0; i <= chords.size(); ++i) beats.push_back(i * q);
  std::pmr::monotonic_buffer_resource mr;
  const auto segments = chord_segments(notes, beats, {}, static_cast<std::uint32_t>(chords.size() + 1) * q, &mr);
  std::vector<std::string> labels;
  for (const auto& s : segments) labels.push_back(chord_label(s.chord));
  EXPECT_EQ(labels, (std::vector<std::string>{"C:maj", "F:maj/3", "G:7", "A:min", "Bb:maj7", "B:hdim7", "N"}));
  ASSERT_EQ(segments.size(), 7U);
  EXPECT_EQ(segments[1].start_tick, q);
  EXPECT_EQ(segments[1].chord->root, 5);
  EXPECT_EQ(segments[1].chord->bass, 9);
  EXPECT_EQ(segments[2].chord->quality, ChordQuality::Dominant7);
  // In bars of 4/4 (and half bars) the same: a chord a beat outweighs any longer segment.
  const std::vector<std::uint32_t> bars = {0, 4 * q};
  const auto in_bars = chord_segments(notes, beats, bars, static_cast<std::uint32_t>(chords.size() + 1) * q, &mr);
  std::vector<std::string> bar_labels;
  for (const auto& s : in_bars) bar_labels.push_back(chord_label(s.chord));
  EXPECT_EQ(bar_labels, labels);
}

TEST(Chords, ABrokenChordIsOneSegmentOfItsBarAndARealChangeOrSilenceIsKept) {
  constexpr std::uint32_t q = 480;
  std::pmr::monotonic_buffer_resource mr;
  const std::vector<std::uint32_t> beats = {0, q, 2 * q, 3 * q, 4 * q, 5 * q, 6 * q, 7 * q};
  const std::vector<std::uint32_t> bars = {0, 4 * q};
  auto labels = [&](const std::vector<Note>& notes, std::span<const std::uint32_t> bar_ticks) {
    std::vector<std::string> out;
    for (const auto& s : chord_segments(notes, beats, bar_ticks, 8 * q, &mr)) {
      out.push_back(std::to_string(s.start_tick / q) + " " + chord_label(s.chord));
    }
    return out;
  };
  // Bar 1: the figure of bar 3 of BWV 846: G and B held through the bar, D and G as sixteenths on
  // every beat, the seventh F as two sixteenths on beats 2-4 (half a note-beat each beat: alone,
  // each beat lacks half of it). Bar 2: C major for two beats, then G major.
  std::vector<Note> notes = {note(0, 4 * q, 43), note(0, 4 * q, 59)};
  for (std::uint32_t b = 0; b < 4; ++b) {
    const std::uint32_t t = b * q, s = q / 4;
    notes.push_back(note(t, t + s, 62));
    notes.push_back(note(t + s, t + 2 * s, 67));
    notes.push_back(note(t + 2 * s, t + 3 * s, b == 0 ? 62 : 65));
    notes.push_back(note(t + 3 * s, t + 4 * s, b == 0 ? 67 : 65));
  }
  for (const std::uint8_t p : {48, 64, 67}) notes.push_back(note(4 * q, 6 * q, p));
  for (const std::uint8_t p : {43, 62, 71}) notes.push_back(note(6 * q, 8 * q, p));
  std::sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) { return a.onset < b.onset; });
  EXPECT_EQ(labels(notes, bars), (std::vector<std::string>{"0 G:7", "4 C:maj", "6 G:maj"}));
  // Beat by beat (no bars) the first beat has no seventh.
  EXPECT_EQ(labels(notes, {}), (std::vector<std::string>{"0 G:maj", "1 G:7", "4 C:maj", "6 G:maj"}));
  // A seventh that leaks in for a sixteenth (a passing note) leaves a held triad a triad.
  const std::vector<Note> leak = {note(0, 4 * q, 48), note(0, 4 * q, 64), note(0, 4 * q, 67),
                                  note(2 * q, 2 * q + q / 4, 71)};
  EXPECT_EQ(labels(leak, bars), (std::vector<std::string>{"0 C:maj", "4 N"}));
  // A beat of one short note is still labelled (not "no chord"), and in a bar it joins the bar's
  // chord when its note belongs to it; a chromatic cluster, which no template covers by more than
  // half its weight, is "no chord".
  const std::vector<Note> sparse = {note(0, 3 * q, 48), note(0, 3 * q, 64), note(0, 3 * q, 67),
                                    note(3 * q, 3 * q + q / 2, 67)};
  EXPECT_EQ(labels(sparse, bars), (std::vector<std::string>{"0 C:maj", "4 N"}));
  const auto alone = labels(sparse, {});
  ASSERT_EQ(alone.size(), 3U);
  EXPECT_EQ(alone[1].substr(0, 2), "3 ");
  EXPECT_NE(alone[1], "3 N");
  std::vector<Note> cluster;
  for (std::uint8_t p = 60; p < 66; ++p) cluster.push_back(note(0, 4 * q, p));
  EXPECT_EQ(labels(cluster, bars), (std::vector<std::string>{"0 N"}));
  // A silent beat is its own segment even inside a bar of one chord.
  const std::vector<Note> gap = {note(0, 2 * q, 48), note(0, 2 * q, 64), note(0, 2 * q, 67),
                           note(3 * q, 4 * q, 48), note(3 * q, 4 * q, 64), note(3 * q, 4 * q, 67)};
  EXPECT_EQ(labels(gap, bars), (std::vector<std::string>{"0 C:maj", "2 N", "3 C:maj", "4 N"}));
  // A diminished seventh is named as one (each of its notes can be the root: the heavier wins).
  const std::vector<Note> dim7 = {note(0, 4 * q, 49), note(0, 4 * q, 52), note(0, 4 * q, 55), note(0, 2 * q, 58)};
  EXPECT_EQ(labels(dim7, bars).front(), "0 Db:dim7");
}

TEST(Chords, HeldChordsAreOneSegmentAndOtherQualitiesAreFound) {
  std::pmr::monotonic_buffer_resource mr;
  // D minor held over four beats: one segment.
  const std::vector<Note> held = {note(0, 1920, 50), note(0, 1920, 53), note(0, 1920, 57)};
  const std::vector<std::uint32_t> beats = {0, 480, 960, 1440};
  const auto s = chord_segments(held, beats, {}, 1920, &mr);
  ASSERT_EQ(s.size(), 1U);
  EXPECT_EQ(chord_label(s[0].chord), "D:min");
  // The first pitch class sounds longest (C D G is both C:sus2 and G:sus4: the root that weighs
  // more decides).
  auto label = [](std::initializer_list<int> pcs, int bass) {
    std::array<double, 12> w{};
    for (const int pc : pcs) w[static_cast<std::size_t>(pc)] = w[static_cast<std::size_t>(pc)] == 0 && pc == *pcs.begin() ? 2 : 1;
    return chord_label(match_chord(w, static_cast<std::uint8_t>(bass)));
  };
  EXPECT_EQ(label({0, 5, 7}, 0), "C:sus4");
  EXPECT_EQ(label({0, 2, 7}, 0), "C:sus2");
  EXPECT_EQ(label({0, 4, 8}, 0), "C:aug");
  EXPECT_EQ(label({11, 2, 5}, 11), "B:dim");
  EXPECT_EQ(label({9, 0, 4, 7}, 9), "A:min7");
  EXPECT_EQ(label({}, 0), "N");
}

TEST(Chords, EachBeatWeighsWhatSoundsInItEvenUnderNotesHeldForHundredsOfBeats) {
  // The definition beat by beat (each note's ticks inside the beat, the lowest pitch sounding),
  // against beat_weights, on seeded random notes of which some are held for hundreds of beats
  // and some are never released (they end at the last tick), with drums and zero-length notes.
  std::pmr::monotonic_buffer_resource mr;
  std::uint64_t state = 12345;
  auto next = [&](std::uint32_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>((state >> 33) % n);
  };
  constexpr std::uint32_t kBeat = 96, kBeats = 600, kEnd = kBeat * kBeats;
  std::vector<Note> notes;
  for (std::uint32_t onset = 0; onset < kEnd - kBeat; onset += 1 + next(40)) {
    const std::uint32_t kind = next(100);  // 1 % never released, 2 % held 50-350 beats, 5 % zero length
    const std::uint32_t end = kind == 0  ? kEnd
                              : kind < 3 ? onset + kBeat * (50 + next(300))
                              : kind < 8 ? onset
                                         : onset + 1 + next(3 * kBeat);
    Note n = note(onset, std::min(end, kEnd), static_cast<std::uint8_t>(30 + next(60)));
    if (next(20) == 0) n.channel = kDrumChannel;
    notes.push_back(n);
  }
  std::vector<std::uint32_t> beats;
  for (std::uint32_t b = 0; b < kBeats; ++b) beats.push_back(b * kBeat);
  const auto got = beat_weights(notes, beats, kEnd, &mr);
  ASSERT_EQ(got.size(), kBeats);
  int changes = 0;
  for (std::uint32_t b = 0; b < kBeats; ++b) {
    const std::uint32_t lo = beats[b], hi = b + 1 < kBeats ? beats[b + 1] : std::max(kEnd, lo + 1);
    std::array<double, 12> w{};
    std::uint8_t lowest = 128;
    for (const Note& n : notes) {
      if (n.drum() || n.end <= n.onset || n.onset >= hi || n.end <= lo) continue;
      w[n.pitch % 12] += std::min(n.end, hi) - std::max(n.onset, lo);
      lowest = std::min(lowest, n.pitch);
    }
    EXPECT_EQ(got[b].start_tick, lo) << b;
    EXPECT_EQ(got[b].lowest, lowest) << b;
    for (std::size_t pc = 0; pc < 12; ++pc) EXPECT_DOUBLE_EQ(got[b].weights[pc], w[pc] / (hi - lo)) << b << " " << pc;
    changes += b > 0 && got[b].weights != got[b - 1].weights ? 1 : 0;
  }
  EXPECT_GT(changes, 50) << "the random notes change often";
}

TEST(Nomml, MetricLevelsFollowTheGridsOfTheQuarterNote) {
  EXPECT_EQ(metric_level(0, 480), 0);
  EXPECT_EQ(metric_level(960, 480), 0);
  EXPECT_EQ(metric_level(240, 480), 1);   // eighth
  EXPECT_EQ(metric_level(160, 480), 2);   // eighth-note triplet
  EXPECT_EQ(metric_level(120, 480), 3);   // sixteenth
  EXPECT_EQ(metric_level(15, 480), 9);    // 1/32 of a quarter: a 128th note
  EXPECT_EQ(metric_level(10, 480), 10);   // 1/48 of a quarter: a 128th-note triplet
  EXPECT_EQ(metric_level(7, 480), 12);    // off every grid
  EXPECT_EQ(metric_level(7, 0), 0);
}

TEST(Nomml, QuantisedTracksAreLowAndJitteredOnesAreOffTheGrid) {
  std::vector<Note> notes;
  for (std::uint32_t i = 0; i < 40; ++i) notes.push_back(note(i * 240, i * 240 + 200, 60, 0));            // eighths
  for (std::uint32_t i = 0; i < 40; ++i) notes.push_back(note(i * 240 + 7 + (i % 5), i * 240 + 200, 64, 2));  // played
  std::sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) { return a.onset < b.onset; });
  std::pmr::monotonic_buffer_resource mr;
  const auto nomml = nomml_per_track(notes, 3, 480, &mr);
  ASSERT_EQ(nomml.size(), 3U);
  ASSERT_TRUE(nomml[0]);
  EXPECT_DOUBLE_EQ(*nomml[0], 0.5);  // half the onsets on quarters (0), half on eighths (1)
  EXPECT_FALSE(nomml[1]) << "a track without notes";
  ASSERT_TRUE(nomml[2]);
  EXPECT_DOUBLE_EQ(*nomml[2], 12.0);
  EXPECT_FALSE(*expressive(nomml, notes)) << "half the notes in an expressive track is not most";
  std::vector<Note> played(notes.begin(), notes.end());
  played.push_back(note(20000 + 3, 20100, 67, 2));
  EXPECT_TRUE(*expressive(nomml_per_track(played, 3, 480, &mr), played));
  EXPECT_FALSE(expressive(nomml_per_track(notes, 3, 0, &mr), notes)) << "SMPTE time has no grid";
}

// A quantised melody whose grid starts `offset` ticks late: long notes on the beat, short ones on
// the sixteenths between.
std::vector<Note> shifted_melody(std::uint32_t offset, std::uint32_t beats = 32) {
  std::vector<Note> notes;
  for (std::uint32_t b = 0; b < beats; ++b) {
    const std::uint32_t at = offset + b * 480;
    notes.push_back(note(at, at + 360, 60, 1));                // a dotted eighth on the beat
    notes.push_back(note(at + 360, at + 480, 62, 1));          // a sixteenth after it
    if (b % 2 == 0) notes.push_back(note(at + 240, at + 300, 64, 1));  // and a short "and"
  }
  std::sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) { return a.onset < b.onset; });
  return notes;
}

TEST(GridOffset, FindsTheBeatOfAQuantisedFileThatStartsLate) {
  std::pmr::monotonic_buffer_resource mr;
  EXPECT_EQ(grid_offset(shifted_melody(0), 480, &mr), 0U);
  EXPECT_EQ(grid_offset(shifted_melody(40), 480, &mr), 40U) << "POP909 song 001's phase";
  EXPECT_EQ(grid_offset(shifted_melody(290), 480, &mr), 290U) << "past two sixteenths: the long notes decide";
  EXPECT_EQ(grid_offset(shifted_melody(240), 480, &mr), 240U) << "a whole number of sixteenths late";
  // A grid at a fractional tick: its onsets rounded to the two ticks around it (song 015).
  std::vector<Note> split = shifted_melody(63);
  for (std::size_t i = 0; i < split.size(); i += 3) {
    split[i].onset -= 1;
  }
  EXPECT_EQ(grid_offset(split, 480, &mr), 63U);
  EXPECT_FALSE(grid_offset({}, 480, &mr));
  EXPECT_FALSE(grid_offset(shifted_melody(40), 0, &mr)) << "SMPTE time has no grid";
  // On the notated sixteenths, the notated beat stands unless another is clearly stronger: a broken
  // chord whose first two sixteenths both ring (as in Bach's BWV 846).
  std::vector<Note> broken;
  for (std::uint32_t b = 0; b < 16; ++b) {
    broken.push_back(note(b * 480, b * 480 + 960, 48));
    broken.push_back(note(b * 480 + 120, b * 480 + 960, 52));
    broken.push_back(note(b * 480 + 240, b * 480 + 360, 55));
  }
  std::sort(broken.begin(), broken.end(), [](const Note& a, const Note& b) { return a.onset < b.onset; });
  EXPECT_EQ(grid_offset(broken, 480, &mr), 0U);
}

TEST(Nomml, AQuantisedFileThatStartsLateIsQuantisedOnItsOwnGrid) {
  std::pmr::monotonic_buffer_resource mr;
  const std::vector<Note> notes = shifted_melody(37);
  const auto offset = grid_offset(notes, 480, &mr);
  ASSERT_EQ(offset, 37U);
  EXPECT_EQ(nomml_per_track(notes, 2, 480, &mr)[1], 12.0) << "against the grid at tick 0: off every grid";
  EXPECT_TRUE(*expressive(nomml_per_track(notes, 2, 480, &mr), notes));
  const auto shifted = nomml_per_track(notes, 2, 480, &mr, *offset);
  ASSERT_TRUE(shifted[1]);
  EXPECT_LE(*shifted[1], 3.0);
  EXPECT_FALSE(*expressive(shifted, notes));
  // Jitter of one tick (at ppq 480) still lies on the grid; a played track's does not.
  std::vector<Note> jittered = notes;
  for (std::size_t i = 0; i < jittered.size(); i += 2) jittered[i].onset += 1;
  EXPECT_FALSE(*expressive(nomml_per_track(jittered, 2, 480, &mr, *offset), jittered));
  for (std::size_t i = 0; i < jittered.size(); ++i) jittered[i].onset += 5 + static_cast<std::uint32_t>(i % 7);
  EXPECT_TRUE(*expressive(nomml_per_track(jittered, 2, 480, &mr, *offset), jittered));
}

// One beat of weights: `pcs` sounding through the beat, the lowest `bass`.
BeatWeights beat_of(std::uint32_t tick, const std::vector<std::uint8_t>& pcs, std::uint8_t bass) {
  BeatWeights b{tick, bass, {}};
  for (const auto pc : pcs) b.weights[pc % 12] += 1.0;
  return b;
}

TEST(Chords, TheBeatSynchronousHmmHoldsAChordThroughPassingNotesAndChangesOnTheHarmony) {
  constexpr std::uint32_t q = 480;
  std::pmr::monotonic_buffer_resource mr;
  // Two bars of C major with a passing A and D in the melody, then two of A minor with a passing B,
  // then a bar of G7 (its seventh through the bar) and a silent beat.
  std::vector<BeatWeights> beats;
  const std::vector<std::vector<std::uint8_t>> bars = {
      {0, 4, 7}, {0, 4, 9}, {0, 4, 7}, {0, 7, 2}, {0, 4, 7}, {0, 4, 7}, {0, 4, 9}, {0, 4, 7},  // C (A, D passing)
      {9, 0, 4}, {9, 0, 11}, {9, 0, 4}, {9, 4}, {9, 0, 4}, {9, 0, 4}, {9, 0, 11}, {9, 0, 4},   // A minor
      {7, 11, 2, 5}, {7, 11, 5}, {7, 2, 5}, {7, 11, 2, 5}};                                  // G7
  for (std::uint32_t i = 0; i < bars.size(); ++i) {
    BeatWeights b{i * q, static_cast<std::uint8_t>(36 + bars[i][0]), {}};
    for (const auto pc : bars[i]) b.weights[pc] += 1.0;
    beats.push_back(b);
  }
  beats.push_back(BeatWeights{static_cast<std::uint32_t>(bars.size()) * q, 128, {}});
  const std::vector<std::uint32_t> bar_ticks = {0, 4 * q, 8 * q, 12 * q, 16 * q, 20 * q};
  std::vector<std::string> labels;
  for (const auto& s : track_chords(beats, bar_ticks, &mr)) labels.push_back(std::to_string(s.start_tick / q) + " " + chord_label(s.chord));
  EXPECT_EQ(labels, (std::vector<std::string>{"0 C:maj", "8 A:min", "16 G:7", "20 N"}));
  // The passing A is no A:min7 and the C major bars no sus2 (the vocabulary has none).
  EXPECT_TRUE(track_chords({}, {}, &mr).empty());
}

TEST(Chords, BarsFromTheHarmonyStartWhereTheChordsChange) {
  constexpr std::uint32_t q = 480;
  std::pmr::monotonic_buffer_resource mr;
  // A chord every 4 beats, changing on beats 1, 5, 9, ... (phase 1): the music's bar lines.
  std::vector<BeatWeights> beats;
  const std::vector<std::vector<std::uint8_t>> chords = {{0, 4, 7}, {5, 9, 0}, {7, 11, 2}, {9, 0, 4}};
  for (std::uint32_t i = 0; i < 17; ++i) beats.push_back(beat_of(40 + i * q, chords[((i + 3) / 4) % 4], 48));
  const auto bars = bars_from_harmony(beats, 4, &mr);
  ASSERT_GE(bars.size(), 4U);
  EXPECT_EQ(bars[0], 0U) << "a pickup before the first downbeat";
  EXPECT_EQ(bars[1], 40 + q);
  EXPECT_EQ(bars[2], 40 + 5 * q);
  EXPECT_TRUE(bars_from_harmony(beats, 0, &mr).empty());
  EXPECT_TRUE(bars_from_harmony({}, 4, &mr).empty());
}

TEST(Key, TheFinalSonorityAndOpeningDecideBetweenRelativeKeys) {
  KeyEvidence e;
  for (const int pc : {0, 2, 4, 5, 7, 9, 11}) e.profile[static_cast<std::size_t>(pc)] = 1.0;  // white keys, even
  for (const int pc : {9, 0, 4}) e.opening[static_cast<std::size_t>(pc)] = e.ending[static_cast<std::size_t>(pc)] = 1.0;
  e.final_bass = 9;
  auto k = estimate_key(e);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->key, (Key{9, Mode::Minor}));
  for (auto& x : e.opening) x = 0;
  for (auto& x : e.ending) x = 0;
  for (const int pc : {0, 4, 7}) e.opening[static_cast<std::size_t>(pc)] = e.ending[static_cast<std::size_t>(pc)] = 1.0;
  e.final_bass = 0;
  k = estimate_key(e);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->key, (Key{0, Mode::Major}));
  EXPECT_GT(k->confidence, 0.0);
  EXPECT_LE(k->confidence, 1.0);
  EXPECT_FALSE(estimate_key(KeyEvidence{})) << "no notes, no key";
}

TEST(Key, ANonCMajorKeySignatureTipsAnAmbiguousProfileAndCMajorOneDoesNot) {
  KeyEvidence e;
  // C major and G major differ by F / F#: both present equally, the profile cannot choose.
  for (const int pc : {0, 2, 4, 5, 6, 7, 9, 11}) e.profile[static_cast<std::size_t>(pc)] = 1.0;
  e.profile[7] = 1.5;
  e.profile[0] = 1.5;
  e.key_signature_sharps = 1;
  ASSERT_TRUE(estimate_key(e));
  EXPECT_EQ(estimate_key(e)->key, (Key{7, Mode::Major}));
  e.key_signature_sharps = 0;  // a sequencer's default: no evidence
  const auto without = estimate_key(e);
  e.key_signature_sharps.reset();
  EXPECT_EQ(without->key, estimate_key(e)->key);
}

TEST(Key, KeySegmentsFindAModulationAndIgnoreOneOddWindow) {
  auto scale = [](int tonic) {
    std::array<double, 12> w{};
    for (const int i : {0, 2, 4, 5, 7, 9, 11}) w[static_cast<std::size_t>((tonic + i) % 12)] = 1.0;
    w[static_cast<std::size_t>(tonic)] = 2.0;
    w[static_cast<std::size_t>((tonic + 7) % 12)] = 1.5;
    return w;
  };
  std::vector<std::array<double, 12>> windows;
  windows.reserve(12);
  for (int i = 0; i < 4; ++i) windows.push_back(scale(0));
  windows.push_back(scale(2));  // one window in D: not worth two changes
  for (int i = 0; i < 3; ++i) windows.push_back(scale(0));
  for (int i = 0; i < 4; ++i) windows.push_back(scale(8));  // Ab major for good
  std::pmr::monotonic_buffer_resource mr;
  const auto s = key_segments(windows, &mr);
  ASSERT_EQ(s.size(), 2U);
  EXPECT_EQ(s[0].start_window, 0U);
  EXPECT_EQ(s[0].key, (Key{0, Mode::Major}));
  EXPECT_EQ(s[1].start_window, 8U);
  EXPECT_EQ(s[1].key, (Key{8, Mode::Major}));
  EXPECT_GT(s[1].confidence, 0.5);
  EXPECT_TRUE(key_segments(std::vector<std::array<double, 12>>(3), &mr).empty()) << "all windows silent";
}

TEST(Key, TheEnsembleScoreIsTheMeanOfThePublishedProfilesCorrelations) {
  std::array<double, 12> p = {5, 0, 3, 0, 4, 2, 0, 4.5, 0, 2, 0, 1};
  const auto ensemble = key_scores(p);
  double sum = 0;
  for (const auto profile : kKeyProfiles) sum += estimate_key(p, profile)->correlation;
  const Key c_major{0, Mode::Major};
  for (const auto profile : kKeyProfiles) EXPECT_EQ(estimate_key(p, profile)->key, c_major);
  EXPECT_NEAR(ensemble[key_index(c_major)], sum / static_cast<double>(kKeyProfiles.size()), 1e-9);
}

}  // namespace
}  // namespace midisift::analyze
