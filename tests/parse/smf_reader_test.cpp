// One test per SMF 1.0 rule and per repair, each on a tiny hand-built byte array.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "midisift/parse/arena.hpp"
#include "midisift/parse/smf.hpp"
#include "smf_builder.hpp"

namespace midisift::parse {
namespace {

using test::Bytes;
using test::cat;
using test::kEot;
using test::mthd;
using test::mtrk;

Smf parse_bytes(const Bytes& b, bool strict = false) {
  return parse(test::as_bytes(b), std::pmr::new_delete_resource(), ParseOptions{strict});
}

std::vector<Recovered> codes(const Smf& smf) {
  std::vector<Recovered> out;
  for (const auto& d : smf.diagnostics()) out.push_back(d.code);
  return out;
}

// Header (14 bytes) + MTrk header (8 bytes): the first event of track 0 starts at byte 22.
constexpr std::uint32_t kFirstEvent = 22;

TEST(SmfReader, ReadsFormat0NoteOnNoteOff) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0x90, 0x3C, 0x40}, {0x60, 0x80, 0x3C, 0x00}, kEot}))});
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Ok);
  EXPECT_EQ(smf.header().format, 0);
  EXPECT_EQ(smf.header().ppq(), 96);
  ASSERT_EQ(smf.tracks().size(), 1U);
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 3U);
  EXPECT_EQ(ev[0].status, 0x90);
  EXPECT_EQ(ev[0].data1, 0x3C);
  EXPECT_EQ(ev[0].data2, 0x40);
  EXPECT_EQ(ev[0].tick, 0U);
  EXPECT_EQ(ev[0].offset, kFirstEvent + 1);
  EXPECT_EQ(ev[1].status, 0x80);
  EXPECT_EQ(ev[1].tick, 96U);
  EXPECT_TRUE(ev[2].is_meta());
  EXPECT_TRUE(ev[2].is_meta(MetaType::EndOfTrack));
  EXPECT_EQ(ev[2].tick, 96U);
  EXPECT_TRUE(smf.tracks()[0].has_end_of_track);
}

TEST(SmfReader, DecodesVariableLengthQuantities) {
  // SMF 1.0 "Variable Length Quantities" examples: 81 00 = 128, FF FF FF 7F = 0x0FFFFFFF.
  const Bytes b = cat({mthd(0, 1, 96),
                       mtrk(cat({{0x81, 0x00, 0x90, 0x3C, 0x40}, {0xFF, 0xFF, 0xFF, 0x7F, 0x80, 0x3C, 0x00}, kEot}))});
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Ok);
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 3U);
  EXPECT_EQ(ev[0].tick, 128U);
  EXPECT_EQ(ev[1].tick, 128U + 0x0FFFFFFFU);
}

TEST(SmfReader, RunningStatusReusesChannelStatus) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0x91, 0x3C, 0x40}, {0x10, 0x3E, 0x41}, {0x10, 0x3C, 0x00}, kEot}))});
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Ok);
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 4U);
  EXPECT_EQ(ev[1].status, 0x91);
  EXPECT_EQ(ev[1].data1, 0x3E);
  EXPECT_EQ(ev[1].tick, 16U);
  EXPECT_EQ(ev[2].status, 0x91);
  EXPECT_FALSE(ev[2].is_note_on()) << "note-on with velocity 0 is a note-off";
}

TEST(SmfReader, ProgramChangeAndChannelPressureTakeOneDataByte) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0xC2, 0x05}, {0x00, 0x07}, {0x00, 0xD2, 0x30}, kEot}))});
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Ok);
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 4U);
  EXPECT_EQ(ev[0].status, 0xC2);
  EXPECT_EQ(ev[0].data1, 5);
  EXPECT_EQ(ev[1].status, 0xC2);
  EXPECT_EQ(ev[1].data1, 7);
  EXPECT_EQ(ev[2].status, 0xD2);
  EXPECT_EQ(ev[2].data1, 0x30);
}

TEST(SmfReader, SysexAndEscapePayloadsAreViewsIntoTheInput) {
  const Bytes b = cat({mthd(0, 1, 96),
                       mtrk(cat({{0x00, 0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7}, {0x00, 0xF7, 0x02, 0xF3, 0x01}, kEot}))});
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Ok);
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 3U);
  EXPECT_EQ(ev[0].status, kSysexStatus);
  const auto p0 = smf.payload(ev[0]);
  ASSERT_EQ(p0.size(), 5U);
  EXPECT_EQ(p0.data(), test::as_bytes(b).data() + kFirstEvent + 3) << "zero copy: the payload points into the input";
  EXPECT_EQ(std::to_integer<int>(p0[4]), 0xF7);
  EXPECT_EQ(ev[1].status, kSysexEscapeStatus);
  EXPECT_EQ(smf.payload(ev[1]).size(), 2U);
}

TEST(SmfReader, MetaEventsOfAnyTypeKeepTheirPayload) {
  const Bytes b = cat({mthd(1, 1, 480),
                       mtrk(cat({{0x00, 0xFF, 0x03, 0x04, 'P', 'i', 'a', 'n'},
                                 {0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20},
                                 {0x00, 0xFF, 0x7F, 0x03, 0x00, 0x00, 0x41},
                                 kEot}))});
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Ok);
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 4U);
  EXPECT_EQ(ev[0].data1, 0x03);
  EXPECT_EQ(std::to_integer<char>(smf.payload(ev[0])[0]), 'P');
  EXPECT_TRUE(ev[1].is_meta(MetaType::SetTempo));
  EXPECT_EQ(ev[1].length, 3U);
  EXPECT_EQ(ev[2].data1, 0x7F);
}

TEST(SmfReader, SmpteDivision) {
  // E7 = -25 frames per second, 40 ticks per frame: millisecond resolution (SMF 1.0 "Header Chunks").
  const Bytes b = cat({mthd(0, 1, 0xE728), mtrk(kEot)});
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Ok);
  EXPECT_TRUE(smf.header().is_smpte());
  EXPECT_EQ(smf.header().smpte_fps(), 25);
  EXPECT_EQ(smf.header().ticks_per_frame(), 40);
  EXPECT_EQ(smf.header().ppq(), 0);
}

TEST(SmfReader, Format1And2WithSeveralTracks) {
  for (std::uint16_t format : {1, 2}) {
    const Bytes b = cat({mthd(format, 3, 96), mtrk(kEot), mtrk(cat({{0x05, 0x90, 0x40, 0x40}, kEot})), mtrk(kEot)});
    const Smf smf = parse_bytes(b);
    ASSERT_EQ(smf.status(), ParseStatus::Ok);
    EXPECT_EQ(smf.header().format, format);
    ASSERT_EQ(smf.tracks().size(), 3U);
    EXPECT_EQ(smf.tracks()[1].events[0].tick, 5U);
    EXPECT_EQ(smf.event_count(), 4U);
  }
}

TEST(SmfReader, UnknownChunksAreSkippedWithoutDiagnostic) {
  // SMF 1.0 "Chunks": programs must expect alien chunks and skip them.
  const Bytes b = cat({mthd(1, 1, 96), test::chunk("XFIH", {1, 2, 3}), mtrk(kEot)});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(smf.status(), ParseStatus::Ok);
  EXPECT_EQ(smf.tracks().size(), 1U);
}

TEST(SmfReader, UnwrapsRiffRmid) {
  const Bytes smf_bytes = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0x90, 0x3C, 0x40}, kEot}))});
  Bytes data_chunk = {'d', 'a', 't', 'a', static_cast<std::uint8_t>(smf_bytes.size()), 0, 0, 0};
  test::append(data_chunk, smf_bytes);
  Bytes riff = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'R', 'M', 'I', 'D',
                'L', 'I', 'S', 'T', 2, 0, 0, 0, 'x', 'y'};  // a chunk before "data"
  test::append(riff, data_chunk);
  riff[4] = static_cast<std::uint8_t>(riff.size() - 8);
  const Smf smf = parse_bytes(riff);
  ASSERT_EQ(smf.status(), ParseStatus::Ok);
  EXPECT_TRUE(smf.riff());
  ASSERT_EQ(smf.tracks().size(), 1U);
  EXPECT_EQ(smf.tracks()[0].events.size(), 2U);
  EXPECT_EQ(smf.tracks()[0].chunk_offset, 22U + 8U + 14U) << "offsets count from the start of the RIFF file";
}

TEST(SmfReader, RiffWithoutDataChunkIsNotMidi) {
  const Bytes riff = {'R', 'I', 'F', 'F', 12, 0, 0, 0, 'R', 'M', 'I', 'D', 'L', 'I', 'S', 'T', 0, 0, 0, 0};
  const Smf smf = parse_bytes(riff);
  ASSERT_EQ(smf.status(), ParseStatus::Failed);
  EXPECT_EQ(smf.failure()->code, Fatal::NotMidi);
}

// ---- fatal problems --------------------------------------------------------------------------

TEST(SmfReader, EmptyInputFails) {
  const Smf smf = parse_bytes({});
  ASSERT_TRUE(smf.failure());
  EXPECT_EQ(smf.failure()->code, Fatal::EmptyFile);
}

TEST(SmfReader, TextIsNotMidi) {
  const Bytes b = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!', '!', '!', '!'};
  const Smf smf = parse_bytes(b);
  ASSERT_TRUE(smf.failure());
  EXPECT_EQ(smf.failure()->code, Fatal::NotMidi);
  EXPECT_EQ(describe(*smf.failure()), "no MThd chunk (not a Standard MIDI File) at byte 0");
}

TEST(SmfReader, HeaderCutShortFails) {
  Bytes b = mthd(0, 1, 96);
  b.resize(12);
  const Smf smf = parse_bytes(b);
  ASSERT_TRUE(smf.failure());
  EXPECT_EQ(smf.failure()->code, Fatal::TruncatedHeader);
}

TEST(SmfReader, HeaderWithoutAnyTrackFails) {
  const Bytes b = cat({mthd(1, 2, 96), {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}});
  const Smf smf = parse_bytes(b);
  ASSERT_TRUE(smf.failure());
  EXPECT_EQ(smf.failure()->code, Fatal::NoTracks);
}

// ---- repairs ---------------------------------------------------------------------------------

TEST(SmfReader, RecoversChunkPastEof) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0x90, 0x3C, 0x40}, kEot}), 1000)});
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Recovered);
  EXPECT_EQ(smf.diagnostics().size(), 1U);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::ChunkPastEof, 0, 18}));
  EXPECT_EQ(smf.tracks()[0].events.size(), 2U);
}

TEST(SmfReader, RecoversTruncatedFileKeepingCutEndOfTrack) {
  // The file ends inside "FF 2F 00": the track keeps its End of Track.
  Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0x90, 0x3C, 0x40}, kEot}))});
  b.pop_back();
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Recovered);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::ChunkPastEof, Recovered::TruncatedEvent}));
  EXPECT_EQ(smf.diagnostics()[1].offset, kFirstEvent + 5);
  EXPECT_TRUE(smf.tracks()[0].has_end_of_track);
  EXPECT_EQ(smf.tracks()[0].events.size(), 2U);
}

TEST(SmfReader, RecoversTruncatedChannelMessage) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk({0x00, 0x90, 0x3C, 0x40, 0x00, 0x90, 0x3C})});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::TruncatedEvent, Recovered::MissingEndOfTrack}));
  EXPECT_EQ(smf.diagnostics()[0].offset, kFirstEvent + 5);
  EXPECT_EQ(smf.tracks()[0].events.size(), 1U);
}

TEST(SmfReader, RecoversMissingEndOfTrack) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk({0x00, 0x90, 0x3C, 0x40})});
  const Smf smf = parse_bytes(b);
  ASSERT_EQ(smf.status(), ParseStatus::Recovered);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::MissingEndOfTrack, 0, kFirstEvent + 4}));
  EXPECT_FALSE(smf.tracks()[0].has_end_of_track);
}

TEST(SmfReader, RecoversRunningStatusAfterMeta) {
  // SMF 1.0: meta events cancel running status. Real files rely on it anyway (mido too).
  const Bytes b = cat({mthd(0, 1, 96),
                       mtrk(cat({{0x00, 0x90, 0x3C, 0x40}, {0x00, 0xFF, 0x01, 0x01, 'x'}, {0x00, 0x3E, 0x40}, kEot}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::RunningStatusAfterMeta, 0, kFirstEvent + 10}));
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 4U);
  EXPECT_EQ(ev[2].status, 0x90);
  EXPECT_EQ(ev[2].data1, 0x3E);
}

TEST(SmfReader, RecoversRunningStatusAfterSysex) {
  const Bytes b = cat({mthd(0, 1, 96),
                       mtrk(cat({{0x00, 0xB0, 0x07, 0x64}, {0x00, 0xF0, 0x01, 0xF7}, {0x00, 0x0A, 0x40}, kEot}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::RunningStatusAfterSysex, 0, kFirstEvent + 9}));
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 4U);
  EXPECT_EQ(ev[2].status, 0xB0);
  EXPECT_EQ(ev[2].data1, 0x0A);
}

TEST(SmfReader, RecoversDataByteWithoutAnyStatus) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0x3C}, {0x00, 0x90, 0x3C, 0x40}, kEot}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::RunningStatusUnset}));
  EXPECT_EQ(smf.tracks()[0].events.size(), 2U);
}

TEST(SmfReader, RecoversDataByteOver127ByResyncingOnIt) {
  // 90 3C then 80: the note-on lost its velocity; 80 3C 00 is read as the next message.
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0x90, 0x3C, 0x80, 0x3C, 0x00}, kEot}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::DataByteOver127, 0, kFirstEvent + 3}));
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].status, 0x80);
  EXPECT_EQ(ev[0].data1, 0x3C);
}

TEST(SmfReader, RecoversUndefinedStatusBytes) {
  for (std::uint8_t s : {0xF4, 0xF5, 0xF9, 0xFD}) {
    const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, s}, {0x10, 0x90, 0x3C, 0x40}, kEot}))});
    const Smf smf = parse_bytes(b);
    EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::UndefinedStatusByte, 0, kFirstEvent + 1})) << int{s};
    const auto& ev = smf.tracks()[0].events;
    ASSERT_EQ(ev.size(), 2U);
    EXPECT_EQ(ev[0].tick, 16U) << "the skipped byte's delta time is kept";
  }
}

TEST(SmfReader, RecoversSystemMessagesInTrack) {
  // F2 takes two data bytes, F3 one, FA none (MIDI 1.0 system common and real-time messages).
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0xF2, 0x01, 0x02}, {0x00, 0xF3, 0x05}, {0x00, 0xFA}, kEot}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::SystemMessageInTrack, Recovered::SystemMessageInTrack,
                                     Recovered::SystemMessageInTrack}));
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 4U);
  EXPECT_EQ(ev[0].status, 0xF2);
  EXPECT_EQ(ev[0].data2, 0x02);
  EXPECT_EQ(ev[2].status, 0xFA);
  EXPECT_FALSE(ev[2].is_channel());
}

TEST(SmfReader, RecoversTrackCountMismatch) {
  const Bytes b = cat({mthd(1, 3, 96), mtrk(kEot), mtrk(kEot)});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::TrackCountMismatch, kFileLevel, 10}));
  EXPECT_EQ(smf.tracks().size(), 2U);
}

TEST(SmfReader, RecoversFormat0WithSeveralTracks) {
  const Bytes b = cat({mthd(0, 2, 96), mtrk(kEot), mtrk(kEot)});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::Format0MultipleTracks}));
}

TEST(SmfReader, RecoversWrongHeaderLength) {
  // Length field says 22 but MTrk follows the 6 standard bytes: the field is wrong.
  Bytes b = cat({mthd(0, 1, 96), mtrk(kEot)});
  b[7] = 22;
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::HeaderLengthNot6}));
  EXPECT_EQ(smf.tracks().size(), 1U);
}

TEST(SmfReader, SkipsTheExtraBytesOfALongerHeader) {
  // A header of 8 bytes whose length field is right: the extra 2 bytes are skipped.
  Bytes b = mthd(0, 1, 96);
  b[7] = 8;
  b.push_back(0xAA);
  b.push_back(0xBB);
  test::append(b, mtrk(kEot));
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::HeaderLengthNot6}));
  EXPECT_EQ(smf.tracks().size(), 1U);
  EXPECT_EQ(smf.tracks()[0].chunk_offset, 16U);
}

TEST(SmfReader, RecoversTrailingBytes) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk(kEot), {0x2A}});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::TrailingBytes, kFileLevel, 26}));
}

TEST(SmfReader, ASecondMThdEndsTheFile) {
  // Two SMFs concatenated (as in some game data): the file is the first one; the second, and
  // anything after it, is trailing data. Also when junk stands between the two.
  const Bytes first = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0x90, 0x3C, 0x40}, {0x60, 0x80, 0x3C, 0x00}, kEot}))});
  const Bytes second = cat({mthd(1, 2, 480), mtrk(kEot), mtrk(cat({{0x00, 0x90, 0x40, 0x40}, kEot}))});
  const Smf smf = parse_bytes(cat({first, second}));
  EXPECT_EQ(smf.tracks().size(), 1U);
  EXPECT_EQ(smf.header().ppq(), 96);
  ASSERT_EQ(smf.diagnostics().size(), 1U);
  EXPECT_EQ(smf.diagnostics()[0],
            (Diagnostic{Recovered::ConcatenatedSmf, kFileLevel, static_cast<std::uint32_t>(first.size())}));
  EXPECT_EQ(to_string(Recovered::ConcatenatedSmf), "concatenated_smf");
  const Smf junk = parse_bytes(cat({first, {0x00, 0x01, 0x02}, second}));
  EXPECT_EQ(junk.tracks().size(), 1U);
  EXPECT_EQ(codes(junk), (std::vector{Recovered::SkippedGarbage, Recovered::ConcatenatedSmf}));
}

TEST(SmfReader, RecoversLeadingGarbage) {
  const Bytes b = cat({Bytes(128, 0x00), mthd(0, 1, 96), mtrk(kEot)});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::LeadingGarbage}));
  EXPECT_EQ(smf.tracks().size(), 1U);
}

TEST(SmfReader, RecoversTrackLengthTooLong) {
  // The first track's length swallows the second MTrk; End of Track followed by "MTrk" tells.
  const Bytes t1 = cat({{0x00, 0x90, 0x3C, 0x40}, kEot});
  const Bytes b = cat({mthd(1, 2, 96), mtrk(t1, static_cast<std::int64_t>(t1.size()) + 12),
                       mtrk(cat({{0x00, 0x91, 0x3C, 0x40}, kEot}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::TrackLengthTooLong}));
  ASSERT_EQ(smf.tracks().size(), 2U);
  EXPECT_EQ(smf.tracks()[1].events[0].status, 0x91);
}

TEST(SmfReader, RecoversTrackLengthTooShort) {
  // Length 4 ends after the first note-on; the next bytes are events, not a chunk header.
  const Bytes body = cat({{0x00, 0x90, 0x3C, 0x40}, {0x60, 0x80, 0x3C, 0x00}, kEot});
  const Bytes b = cat({mthd(1, 2, 96), mtrk(body, 4), mtrk(kEot)});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::TrackLengthTooShort}));
  ASSERT_EQ(smf.tracks().size(), 2U);
  EXPECT_EQ(smf.tracks()[0].events.size(), 3U);
  EXPECT_TRUE(smf.tracks()[0].has_end_of_track);
}

TEST(SmfReader, KeepsEventsAfterEndOfTrack) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({kEot, {0x10, 0x90, 0x3C, 0x40}}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::EventsAfterEndOfTrack, 0, kFirstEvent + 4}));
  EXPECT_EQ(smf.tracks()[0].events.size(), 2U);
  EXPECT_EQ(smf.tracks()[0].events[1].tick, 16U);
}

TEST(SmfReader, RecoversOverlongVlq) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x81, 0x80, 0x80, 0x80, 0x00, 0x90, 0x3C, 0x40}, kEot}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::VlqTooLong}));
  EXPECT_EQ(smf.tracks()[0].events[0].tick, 0x0FFFFFFFU) << "an overlong VLQ saturates";
}

TEST(SmfReader, AnOverlongVlqLeavesTheNextOnesAsWritten) {
  // 5-byte delta, then a 2-byte delta (0x81 0x00 = 128) and a 3-byte meta length later in the
  // same track: each VLQ is read on its own (the reader once let the first taint the rest).
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x81, 0x80, 0x80, 0x80, 0x00, 0x90, 0x3C, 0x40},
                                                {0x81, 0x00, 0x80, 0x3C, 0x00},
                                                {0x00, 0xFF, 0x01, 0x80, 0x80, 0x00},
                                                kEot}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::VlqTooLong}));
  ASSERT_EQ(smf.tracks()[0].events.size(), 4U);
  EXPECT_EQ(smf.tracks()[0].events[1].tick, 0x0FFFFFFFU + 128U);
  EXPECT_EQ(smf.tracks()[0].events[2].length, 0U) << "a 3-byte meta length of 0";
}

TEST(SmfReader, ReadsDeltasOfOneToFourBytesAndRunningStatusMidTrack) {
  // Deltas of 1, 2, 3 and 4 bytes (SMF 1.0's own examples: 0x7F, 0x81 0x00, 0xC0 0x80 0x00,
  // 0xFF 0xFF 0xFF 0x7F), running status, a program change (one data byte), then the same near the
  // chunk's end, where fewer than 7 bytes remain after an event.
  const Bytes events = {0x7F, 0x90, 0x3C, 0x40, 0x81, 0x00, 0x3C, 0x00, 0xC0, 0x80, 0x00, 0xC5, 0x07,
                        0xFF, 0xFF, 0xFF, 0x7F, 0x91, 0x40, 0x7F, 0x00, 0x40, 0x00};
  const Smf smf = parse_bytes(cat({mthd(0, 1, 96), mtrk(cat({events, kEot}))}));
  EXPECT_TRUE(codes(smf).empty());
  const auto& ev = smf.tracks()[0].events;
  ASSERT_EQ(ev.size(), 6U);
  const std::uint32_t ticks[] = {0x7F, 0x7F + 0x80, 0x7F + 0x80 + 0x100000, 0x7F + 0x80 + 0x100000 + 0x0FFFFFFF};
  EXPECT_EQ(ev[0].tick, ticks[0]);
  EXPECT_EQ(ev[1].tick, ticks[1]);
  EXPECT_EQ(ev[1].status, 0x90) << "running status";
  EXPECT_EQ(ev[1].data2, 0x00);
  EXPECT_EQ(ev[2].tick, ticks[2]);
  EXPECT_EQ(ev[2].status, 0xC5);
  EXPECT_EQ(ev[2].data1, 0x07);
  EXPECT_EQ(ev[3].tick, ticks[3]);
  EXPECT_EQ(ev[4].tick, ticks[3]);
  EXPECT_EQ(ev[4].status, 0x91) << "running status";
  EXPECT_EQ(ev[4].offset, kFirstEvent + 21U) << "a running-status message starts at its first data byte";
  EXPECT_TRUE(ev[5].is_meta(MetaType::EndOfTrack));
}

TEST(SmfReader, ClampsTicksPastTwoToThe32) {
  Bytes body;
  for (int i = 0; i < 17; ++i) test::append(body, {0xFF, 0xFF, 0xFF, 0x7F, 0x90, 0x3C, 0x40});
  test::append(body, kEot);
  const Smf smf = parse_bytes(cat({mthd(0, 1, 96), mtrk(body)}));
  EXPECT_EQ(codes(smf), (std::vector{Recovered::TickOverflow}));
  EXPECT_EQ(smf.tracks()[0].events.back().tick, 0xFFFFFFFFU);
}

TEST(SmfReader, RecoversMisspelledTrackId) {
  Bytes b = cat({mthd(0, 1, 96), mtrk(kEot)});
  b[14] = 'm';
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::TrackIdCase}));
  EXPECT_EQ(smf.tracks().size(), 1U);
}

TEST(SmfReader, FlagsMetaEventsOfWrongLength) {
  // Time Signature must carry 4 bytes (SMF 1.0 "FF 58 04 nn dd cc bb").
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0xFF, 0x58, 0x02, 0x04, 0x02}, kEot}))});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::MetaLengthMismatch, 0, kFirstEvent + 1}));
  EXPECT_EQ(smf.tracks()[0].events[0].length, 2U);
}

TEST(SmfReader, SkipsGarbageBetweenChunks) {
  const Bytes b = cat({mthd(1, 2, 96), mtrk(kEot), {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}, mtrk(kEot)});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(smf.diagnostics()[0], (Diagnostic{Recovered::SkippedGarbage, kFileLevel, 26}));
  EXPECT_EQ(smf.tracks().size(), 2U);
}

TEST(SmfReader, FlagsZeroDivisionAndUnknownFormat) {
  const Bytes b = cat({mthd(7, 1, 0), mtrk(kEot)});
  const Smf smf = parse_bytes(b);
  EXPECT_EQ(codes(smf), (std::vector{Recovered::UnknownFormat, Recovered::ZeroDivision}));
  EXPECT_EQ(smf.header().format, 7) << "the format stays as written";
}

// ---- strict mode and limits ------------------------------------------------------------------

TEST(SmfReader, StrictModeFailsAtTheFirstRepair) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk({0x00, 0x90, 0x3C, 0x40})});
  const Smf lenient = parse_bytes(b, false);
  EXPECT_EQ(lenient.status(), ParseStatus::Recovered);
  const Smf strict = parse_bytes(b, true);
  ASSERT_EQ(strict.status(), ParseStatus::Failed);
  EXPECT_EQ(strict.failure()->code, Fatal::StrictViolation);
  EXPECT_EQ(strict.failure()->strict_cause, Recovered::MissingEndOfTrack);
  EXPECT_EQ(strict.failure()->offset, kFirstEvent + 4);
}

TEST(SmfReader, StrictModeAcceptsCleanFiles) {
  const Bytes b = cat({mthd(0, 1, 96), mtrk(cat({{0x00, 0x90, 0x3C, 0x40}, kEot}))});
  EXPECT_EQ(parse_bytes(b, true).status(), ParseStatus::Ok);
}

TEST(SmfReader, HugeLengthFieldsAllocateInProportionToTheInput) {
  // ntrks 65535 and an MTrk length of 4 GiB - 1 in a 30-byte file.
  const Bytes b = cat({mthd(1, 0xFFFF, 96), mtrk(cat({{0x00, 0x90, 0x3C, 0x40}, kEot}), 0xFFFFFFFF)});
  CountingResource counting;
  {
    const Smf smf = parse(test::as_bytes(b), &counting);
    EXPECT_EQ(codes(smf), (std::vector{Recovered::ChunkPastEof, Recovered::TrackCountMismatch}));
    EXPECT_EQ(smf.tracks()[0].events.size(), 2U);
  }
  EXPECT_LT(counting.bytes_allocated(), 64U * b.size());
}

TEST(SmfReader, ArenaAndHeapGiveTheSameEvents) {
  const Bytes b = cat({mthd(1, 2, 96), mtrk(cat({{0x00, 0x90, 0x3C, 0x40}, {0x60, 0x3C, 0x00}, kEot})),
                       mtrk(cat({{0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20}, kEot}))});
  Arena arena;
  const Smf a = parse(test::as_bytes(b), &arena);
  const Smf h = parse(test::as_bytes(b), std::pmr::new_delete_resource());
  ASSERT_EQ(a.tracks().size(), h.tracks().size());
  for (std::size_t t = 0; t < a.tracks().size(); ++t) {
    const auto& ea = a.tracks()[t].events;
    const auto& eh = h.tracks()[t].events;
    ASSERT_EQ(ea.size(), eh.size());
    EXPECT_TRUE(std::equal(ea.begin(), ea.end(), eh.begin(), [](const Event& x, const Event& y) {
      return x.tick == y.tick && x.offset == y.offset && x.length == y.length && x.status == y.status &&
             x.data1 == y.data1 && x.data2 == y.data2;
    }));
  }
}

TEST(SmfReader, EveryPrefixOfAFileParsesWithinBounds) {
  // Truncation at every byte: never a crash, never a read past the input (ASan checks the reads).
  const Bytes full = cat({mthd(1, 2, 96), mtrk(cat({{0x00, 0xF0, 0x03, 0x01, 0x02, 0xF7}, {0x00, 0x90, 0x3C, 0x40},
                                                    {0x81, 0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20}, kEot})),
                          mtrk(cat({{0x00, 0xC0, 0x05}, {0x00, 0xFF, 0x03, 0x02, 'a', 'b'}, kEot}))});
  for (std::size_t n = 0; n <= full.size(); ++n) {
    const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    const Smf smf = parse_bytes(prefix);
    if (n < 14) {
      EXPECT_EQ(smf.status(), ParseStatus::Failed) << n;
    } else if (n < full.size()) {
      EXPECT_NE(smf.status(), ParseStatus::Ok) << n;
    } else {
      EXPECT_EQ(smf.status(), ParseStatus::Ok);
    }
    for (const auto& t : smf.tracks()) {
      for (const auto& e : t.events) EXPECT_LE(std::size_t{e.offset} + e.length, n);
    }
  }
}

}  // namespace
}  // namespace midisift::parse
