// The limits a hostile or broken file can push (issue 7): declared lengths of 4 GB, a million tiny
// tracks, VLQs over 4 bytes, deltas summing past 2^32 ticks, tempo 0, ppq 0, notes never released.
// Each has a defined result (a repair or a failure, facts that say what happened), and parsing plus
// the whole analysis allocates in proportion to the input (counted, not timed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "midisift/analyze/facts.hpp"
#include "midisift/analyze/music.hpp"
#include "midisift/parse/arena.hpp"
#include "smf_builder.hpp"

namespace midisift::analyze {
namespace {

using namespace midisift::test;
using parse::Recovered;

// Bytes allocated per input byte, for parse + facts + musical analysis together, plus a constant:
// the same bound the fuzz harnesses check (tests/fuzz/smf_checks.hpp).
constexpr std::uint64_t kBytesPerInputByte = 160;
constexpr std::uint64_t kFixedBytes = std::uint64_t{1} << 20;

struct Analyzed {
  parse::CountingResource counting;
  parse::Smf smf;
  FileFacts facts;
  MusicalFacts music;
  std::uint64_t input_size;
  explicit Analyzed(const Bytes& bytes)
      : smf(parse::parse(test::as_bytes(bytes), &counting)),
        facts(compute_facts(smf, &counting)),
        music(analyze_music(smf, facts, &counting)),
        input_size(bytes.size()) {}
  [[nodiscard]] std::vector<Recovered> codes() const {
    std::vector<Recovered> out;
    for (const auto& d : smf.diagnostics()) out.push_back(d.code);
    return out;
  }
  [[nodiscard]] bool within_memory_bound() const {
    return counting.bytes_allocated() <= kBytesPerInputByte * input_size + kFixedBytes;
  }
};

Bytes note(std::uint32_t delta, std::uint8_t status, std::uint8_t key, std::uint8_t velocity) {
  Bytes out;
  // VLQ, most significant group first (SMF 1.0 "Variable Length Quantities").
  std::vector<std::uint8_t> groups{static_cast<std::uint8_t>(delta & 0x7F)};
  for (delta >>= 7; delta != 0; delta >>= 7) groups.push_back(static_cast<std::uint8_t>(0x80 | (delta & 0x7F)));
  out.assign(groups.rbegin(), groups.rend());
  append(out, {status, key, velocity});
  return out;
}

TEST(Limits, AMillionTinyTracksAreEachReadAndCountedInLinearMemory) {
  constexpr std::uint32_t kTracks = 1'000'000;
  Bytes b = mthd(1, 0xFFFF, 96);
  b.reserve(b.size() + std::size_t{kTracks} * 12);
  for (std::uint32_t i = 0; i < kTracks; ++i) append(b, mtrk(kEot));
  const Analyzed a(b);
  EXPECT_EQ(a.codes(), std::vector{Recovered::TrackCountMismatch}) << "ntrks says 65535, the file holds a million";
  EXPECT_EQ(a.smf.tracks().size(), kTracks);
  EXPECT_EQ(a.facts.tracks, kTracks);
  EXPECT_EQ(a.facts.meta_events, kTracks);
  EXPECT_EQ(a.music.notes, 0U);
  ASSERT_EQ(a.music.track_names.size(), kTracks) << "one name per track";
  EXPECT_TRUE(std::all_of(a.music.track_names.begin(), a.music.track_names.end(), [](const auto& n) { return n.empty(); }));
  EXPECT_TRUE(a.within_memory_bound()) << a.counting.bytes_allocated() << " bytes for " << b.size();
}

TEST(Limits, DeclaredLengthsOf4GbAreClampedToTheFile) {
  // MThd length, a track length and a meta length of 2^32 - 1 / 2^28 - 1 in a file of a few bytes.
  const Bytes b = cat({{'M', 'T', 'h', 'd', 0xFF, 0xFF, 0xFF, 0xFF, 0, 1, 0, 2, 0, 96},
                       mtrk(cat({note(0, 0x90, 60, 100), note(96, 0x80, 60, 0), kEot}), 0xFFFFFFFF),
                       mtrk({0x00, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0x7F, 'a', 'b'})});
  const Analyzed a(b);
  EXPECT_EQ(a.codes(), (std::vector{Recovered::HeaderLengthNot6, Recovered::ChunkPastEof,
                                    Recovered::TrackLengthTooLong, Recovered::TruncatedEvent,
                                    Recovered::MissingEndOfTrack}));
  ASSERT_EQ(a.smf.tracks().size(), 2U);
  EXPECT_EQ(a.music.notes, 1U);
  const auto& text = a.smf.tracks()[1].events.at(0);
  EXPECT_EQ(a.smf.payload(text).size(), 2U) << "the text keeps the two bytes that are there";
  EXPECT_TRUE(a.within_memory_bound());
}

TEST(Limits, DeltasSummingPast2To32TicksClampAtTheLastTick) {
  // Seventeen deltas of 2^28 - 1 (the largest 4-byte VLQ): the 17th note-on would be at
  // 17 * (2^28 - 1) > 2^32 - 1.
  Bytes body;
  for (int i = 0; i < 17; ++i) append(body, note(0x0FFFFFFF, 0x90, static_cast<std::uint8_t>(60 + i), 100));
  append(body, kEot);
  const Analyzed a(cat({mthd(0, 1, 96), mtrk(body)}));
  EXPECT_EQ(a.codes(), std::vector{Recovered::TickOverflow});
  EXPECT_EQ(a.facts.end_tick, 0xFFFFFFFFU);
  EXPECT_EQ(a.smf.tracks()[0].events[15].tick, 16U * 0x0FFFFFFFU);
  EXPECT_EQ(a.smf.tracks()[0].events[16].tick, 0xFFFFFFFFU);
  ASSERT_TRUE(a.facts.duration_seconds.has_value());
  // 2^32 - 1 ticks at 96 per quarter and 120 BPM: (2^32 - 1) / 96 * 0.5 s.
  EXPECT_NEAR(*a.facts.duration_seconds, 4294967295.0 / 96 * 0.5, 1e-3);
  EXPECT_EQ(a.music.notes_open_at_track_end, 17U);
  EXPECT_TRUE(a.within_memory_bound());
}

TEST(Limits, AVlqOfNineBytesIsReadAsTheLargestDelta) {
  const Bytes b = cat({mthd(0, 1, 96),
                       mtrk(cat({{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x90, 60, 100}, kEot}))});
  const Analyzed a(b);
  EXPECT_EQ(a.codes(), std::vector{Recovered::VlqTooLong});
  EXPECT_EQ(a.smf.tracks()[0].events[0].tick, 0x0FFFFFFFU) << "an overlong VLQ is read as 2^28 - 1";
  EXPECT_TRUE(a.within_memory_bound());
}

TEST(Limits, TempoZeroGivesNoTempoAndNoInfiniteDuration) {
  // Set Tempo 0 microseconds per quarter at tick 0, then two notes: no time passes at all.
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0xFF, 0x51, 0x03, 0, 0, 0}, note(0, 0x90, 60, 100),
                                                 note(96, 0x80, 60, 0), note(0, 0x90, 64, 100),
                                                 note(96, 0x80, 64, 0), kEot}))});
  const Analyzed a(b);
  EXPECT_TRUE(a.codes().empty());
  EXPECT_FALSE(a.facts.initial_bpm.has_value()) << "60e6 / 0 is no tempo";
  ASSERT_TRUE(a.facts.duration_seconds.has_value());
  EXPECT_EQ(*a.facts.duration_seconds, 0.0);
  EXPECT_FALSE(a.music.notes_per_second.has_value()) << "no rate over zero seconds";
  // One rule (TempoMap): a stopped clock has no BPM, and no time passes to average over.
  EXPECT_FALSE(a.music.tempo_min_bpm.has_value());
  EXPECT_FALSE(a.music.tempo_max_bpm.has_value());
  EXPECT_FALSE(a.music.tempo_mean_bpm.has_value());
  ASSERT_TRUE(a.music.last_note_seconds.has_value());
  EXPECT_EQ(*a.music.last_note_seconds, 0.0);
  EXPECT_FALSE(a.music.estimated_tempo.has_value()) << "every onset at 0 s";
  EXPECT_EQ(a.music.notes, 2U);
}

TEST(Limits, TempoZeroInTheMiddleStopsTheClockUntilTheNextSetTempo) {
  // 120 BPM (96 ticks = 0.5 s), Set Tempo 0 at tick 96, 120 BPM again at tick 192; a note over
  // each stretch: 0.5 s, then no time, then 0.5 s.
  const Bytes b =
      cat({mthd(0, 1, 96), mtrk(cat({note(0, 0x90, 60, 100), note(96, 0x80, 60, 0), {0x00, 0xFF, 0x51, 0x03, 0, 0, 0},
                                      note(0, 0x90, 62, 100), note(96, 0x80, 62, 0),
                                      {0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20}, note(0, 0x90, 64, 100),
                                      note(96, 0x80, 64, 0), kEot}))});
  const Analyzed a(b);
  EXPECT_TRUE(a.codes().empty());
  EXPECT_EQ(a.facts.duration_seconds, 1.0);
  EXPECT_EQ(a.music.last_note_seconds, 1.0) << "the same tempo map as the duration";
  EXPECT_EQ(a.music.tempo_min_bpm, 120.0);
  EXPECT_EQ(a.music.tempo_max_bpm, 120.0) << "the stopped stretch has no BPM";
  EXPECT_EQ(a.music.tempo_mean_bpm, 180.0) << "3 quarter notes in 1 s";
  EXPECT_EQ(a.music.notes_per_second, 3.0);
}

TEST(Limits, PpqZeroIsRepairedAndTimesNothing) {
  const Bytes b = cat({mthd(0, 1, 0), mtrk(cat({note(0, 0x90, 60, 100), note(96, 0x80, 60, 0), kEot}))});
  const Analyzed a(b);
  EXPECT_EQ(a.codes(), std::vector{Recovered::ZeroDivision});
  EXPECT_EQ(a.facts.ppq, 0U);
  EXPECT_FALSE(a.facts.duration_seconds.has_value());
  EXPECT_FALSE(a.music.tempo_mean_bpm.has_value());
  EXPECT_FALSE(a.music.estimated_tempo.has_value());
  EXPECT_TRUE(a.music.loops.empty());
  EXPECT_EQ(a.music.notes, 1U);
}

TEST(Limits, NotesNeverReleasedEndAtTheirTracksLastTick) {
  // 100,000 note-ons, one every tick on 16 channels and 128 keys, never released; End of Track at
  // tick 200,000. Each note ends there; the sweep of sounding notes stays n log n.
  constexpr std::uint32_t kNotes = 100'000;
  Bytes body;
  for (std::uint32_t i = 0; i < kNotes; ++i) {
    append(body, note(1, static_cast<std::uint8_t>(0x90 | (i % 16)), static_cast<std::uint8_t>(i % 128), 100));
  }
  append(body, {0x86, 0x8D, 0x20, 0xFF, 0x2F, 0x00});  // delta 100,000 (0x186A0), End of Track
  const Analyzed a(cat({mthd(0, 1, 96), mtrk(body)}));
  EXPECT_TRUE(a.codes().empty());
  EXPECT_EQ(a.music.notes, kNotes);
  EXPECT_EQ(a.music.notes_open_at_track_end, kNotes);
  EXPECT_EQ(a.facts.end_tick, 2 * kNotes);
  EXPECT_EQ(a.music.polyphony_max, kNotes - kNotes / 16) << "every pitched note sounds at the end (drums excluded)";
  EXPECT_TRUE(a.within_memory_bound());
}

}  // namespace
}  // namespace midisift::analyze

namespace midisift::analyze {
namespace {
// The densest beat grid the chords may get: a beat a note (the cap of `beat_ticks` in
// analyze_music), each note-on three bytes with running status and never released, at ppq 4. Two
// beats a note lay out no grid (the cap). The beat grid, its weights and the chord HMM's back pointers must stay in
// the memory bound.
TEST(Limits, TheDensestBeatGridOfTheChordsStaysInLinearMemory) {
  constexpr std::uint32_t kNotes = 20'000;
  Bytes b = mthd(0, 1, 4);
  Bytes track = note(0, 0x90, 60, 64);
  for (std::uint32_t i = 1; i < kNotes; ++i) append(track, {4, static_cast<std::uint8_t>(40 + i % 40), 64});
  append(b, mtrk(track));
  const Analyzed a(b);
  EXPECT_EQ(a.music.notes, kNotes);
  EXPECT_EQ(a.music.expressive, false);
  EXPECT_FALSE(a.music.beats.empty()) << "the grid is within the cap, so it is laid out";
  EXPECT_FALSE(a.music.chords.empty());
  EXPECT_TRUE(a.within_memory_bound()) << a.counting.bytes_allocated() << " bytes for " << b.size();
}
}  // namespace
}  // namespace midisift::analyze
