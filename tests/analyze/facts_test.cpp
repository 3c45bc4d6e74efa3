#include <gtest/gtest.h>

#include <memory_resource>

#include <string_view>

#include "midisift/analyze/facts.hpp"
#include "midisift/analyze/notes.hpp"
#include "smf_builder.hpp"

namespace midisift::analyze {
namespace {

using namespace midisift::test;

FileFacts facts_of(const Bytes& b) {
  const parse::Smf smf = parse::parse(as_bytes(b), std::pmr::new_delete_resource());
  EXPECT_FALSE(smf.failure());
  return compute_facts(smf, std::pmr::new_delete_resource());
}

// Set Tempo with delta 0.
Bytes tempo(std::uint32_t usec, std::uint8_t delta = 0) {
  return {delta, 0xFF, 0x51, 0x03, static_cast<std::uint8_t>(usec >> 16), static_cast<std::uint8_t>(usec >> 8),
          static_cast<std::uint8_t>(usec)};
}

TEST(Facts, CountsEventsByKind) {
  const Bytes b = cat({mthd(1, 2, 96),
                       mtrk(cat({tempo(600000), {0x00, 0xF0, 0x01, 0xF7}, kEot})),
                       mtrk(cat({{0x00, 0x99, 0x24, 0x64}, {0x00, 0x90, 0x3C, 0x00}, {0x00, 0xC3, 0x05},
                                 {0x30, 0x89, 0x24, 0x00}, {0x00, 0x92, 0x48, 0x01}, kEot}))});
  const FileFacts f = facts_of(b);
  EXPECT_EQ(f.format, 1);
  EXPECT_EQ(f.tracks, 2U);
  EXPECT_EQ(f.ppq, 96);
  EXPECT_EQ(f.note_on_events, 2U) << "velocity-0 note-on is a note-off";
  EXPECT_EQ(f.channel_events, 5U);
  EXPECT_EQ(f.meta_events, 3U) << "End of Track counts";
  EXPECT_EQ(f.sysex_events, 1U);
  EXPECT_EQ(f.tempo_changes, 1U);
  EXPECT_EQ(f.end_tick, 0x30U);
  EXPECT_EQ(*f.pitch_min, 0x24);
  EXPECT_EQ(*f.pitch_max, 0x48);
  EXPECT_EQ(f.channel_mask, (1U << 0) | (1U << 2) | (1U << 3) | (1U << 9));
  EXPECT_DOUBLE_EQ(*f.initial_bpm, 100.0);
  // 48 ticks at 600,000 us per quarter, 96 ppq = 0.3 s.
  EXPECT_DOUBLE_EQ(*f.duration_seconds, 0.3);
}

TEST(Facts, DefaultTempoIs120Bpm) {
  const FileFacts f = facts_of(cat({mthd(0, 1, 480), mtrk(cat({{0x83, 0x60, 0x90, 0x3C, 0x40}, kEot}))}));
  EXPECT_DOUBLE_EQ(*f.initial_bpm, 120.0);
  EXPECT_DOUBLE_EQ(*f.duration_seconds, 0.5);  // 480 ticks = one quarter at 120 BPM
  EXPECT_EQ(f.tempo_changes, 0U);
}

TEST(Facts, TempoMapMergesAllTracks) {
  // Track 0: 120 BPM; track 1 sets 60 BPM at tick 96. End at tick 192 (96 ppq):
  // 1 quarter at 0.5 s + 1 quarter at 1.0 s = 1.5 s.
  const Bytes b = cat({mthd(1, 2, 96), mtrk(cat({{0x81, 0x40, 0x90, 0x3C, 0x40}, kEot})),
                       mtrk(cat({tempo(1000000, 0x60), kEot}))});
  const FileFacts f = facts_of(b);
  EXPECT_EQ(f.end_tick, 192U);
  EXPECT_DOUBLE_EQ(*f.duration_seconds, 1.5);
  EXPECT_DOUBLE_EQ(*f.initial_bpm, 120.0) << "no tempo at tick 0";
}

TEST(Facts, LaterTrackWinsATieAtTheSameTick) {
  // Both tracks set a tempo at tick 0; merged by tick with track order kept, track 1's applies.
  const Bytes b = cat({mthd(1, 2, 96), mtrk(cat({tempo(500000), {0x60, 0x90, 0x3C, 0x40}, kEot})),
                       mtrk(cat({tempo(1000000), kEot}))});
  const FileFacts f = facts_of(b);
  EXPECT_DOUBLE_EQ(*f.duration_seconds, 1.0);
  EXPECT_DOUBLE_EQ(*f.initial_bpm, 120.0) << "first set-tempo at tick 0 in track order";
}

TEST(Facts, NoDurationForFormat2OrSmpte) {
  EXPECT_FALSE(facts_of(cat({mthd(2, 1, 96), mtrk(kEot)})).duration_seconds);
  const FileFacts smpte = facts_of(cat({mthd(0, 1, 0xE250), mtrk(kEot)}));
  EXPECT_FALSE(smpte.duration_seconds);
  EXPECT_EQ(smpte.smpte_fps, 30);
  EXPECT_EQ(smpte.ticks_per_frame, 80);
}

TEST(Facts, NoPitchRangeWithoutNotes) {
  const FileFacts f = facts_of(cat({mthd(0, 1, 96), mtrk(kEot)}));
  EXPECT_FALSE(f.pitch_min);
  EXPECT_FALSE(f.pitch_max);
  EXPECT_EQ(f.channel_mask, 0);
}

TEST(Facts, ShortSetTempoIsNotATempoChange) {
  const FileFacts f = facts_of(cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0xFF, 0x51, 0x02, 0x07, 0xA1}, kEot}))}));
  EXPECT_EQ(f.tempo_changes, 0U);
  EXPECT_DOUBLE_EQ(*f.initial_bpm, 120.0);
}

TEST(Facts, TheTempoMapAndItsCursorWalkTheSetTempos) {
  std::pmr::monotonic_buffer_resource mr;
  // 60 BPM for 100 ticks, a stopped clock (tempo 0) for 100, then 240 BPM; the same tick twice:
  // the last one written wins.
  std::pmr::vector<TempoChange> changes({{0, 1000000}, {100, 0}, {200, 500000}, {200, 250000}}, &mr);
  const TempoMap map(std::move(changes), 100, &mr);
  ASSERT_EQ(map.changes().size(), 3U);
  EXPECT_DOUBLE_EQ(map.seconds(100), 1.0);
  EXPECT_DOUBLE_EQ(map.seconds(150), 1.0) << "no time passes at tempo 0";
  EXPECT_DOUBLE_EQ(map.seconds(200), 1.0);
  EXPECT_DOUBLE_EQ(map.seconds(400), 1.5);
  TempoMap::Cursor cursor(map);
  for (const std::uint32_t tick : {0U, 50U, 100U, 150U, 200U, 300U, 400U, 400U}) {
    EXPECT_EQ(cursor.seconds(tick), map.seconds(tick)) << "tick " << tick;
  }
  const auto stats = map.stats(400);
  ASSERT_TRUE(stats);
  EXPECT_DOUBLE_EQ(stats->min_bpm, 60.0) << "the stopped clock has no BPM";
  EXPECT_DOUBLE_EQ(stats->max_bpm, 240.0);
  EXPECT_DOUBLE_EQ(stats->mean_bpm, 4.0 / 1.5 * 60.0);
  const TempoMap empty(std::pmr::vector<TempoChange>(&mr), 480, &mr);
  EXPECT_DOUBLE_EQ(empty.seconds(960), 1.0) << "120 BPM before any Set Tempo";
}

TEST(Md5, MatchesRfc1321TestSuite) {
  const auto hex = [](std::string_view s) { return to_hex(md5(std::as_bytes(std::span(s.data(), s.size())))); };
  EXPECT_EQ(hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
}

}  // namespace
}  // namespace midisift::analyze
