// Clip export (midisift::clipexport): cutting segments into clips and card file names.
#include <gtest/gtest.h>

#include <memory_resource>

#include "midisift/clip/library.hpp"
#include "midisift/clipexport/clip_export.hpp"
#include "song_builder.hpp"

namespace midisift::clipexport {
namespace {

using test::segment_song;

TEST(ClipExport, CutsBarsRescalesTicksAndClosesCutNotes) {
  const auto bytes = segment_song();
  std::pmr::monotonic_buffer_resource mr;
  const auto smf = parse::parse(test::as_bytes(bytes), &mr, {});
  ASSERT_FALSE(smf.failure());
  const auto clip = make_clip(smf, Selection{1, std::nullopt, 2, 3}, 96, "segment");
  // Ticks from the segment start (1,920), times 96/480.
  const std::vector<clip::Event> expected = {
      {0, 0xC0, 5, 0},      // the program change in force at the segment start
      {0, 0x90, 62, 100},   {48, 0x80, 62, 64},   {216, 0x90, 64, 90}, {236, 0x80, 64, 64},
      {416, 0xB0, 7, 90},   {616, 0x90, 65, 100},
      {768, 0x80, 65, 0},   // cut at the loop end
  };
  EXPECT_EQ(clip.events, expected);
  EXPECT_EQ(clip.header.loop_ticks, 768U);
  EXPECT_EQ(clip.header.bars, 2U);
  EXPECT_EQ(clip.header.ppq, 96U);
  EXPECT_EQ(clip.header.tempo_us, 600000U);
  EXPECT_EQ(clip.header.numerator, 4U);
  EXPECT_EQ(clip.header.denominator, 4U);
  EXPECT_STREQ(clip.header.name, "segment");
  EXPECT_EQ(clip.notes, 3U);
  EXPECT_EQ(clip.cut_notes, 1U);
  EXPECT_EQ(clip.dropped_note_offs, 1U);  // the note struck in bar 1
  // The same by channel instead of track; bar 4 holds only the cut note's release: nothing to loop.
  EXPECT_EQ(make_clip(smf, Selection{std::nullopt, 0, 2, 3}, 96, "x").events, expected);
  EXPECT_THROW((void)make_clip(smf, Selection{1, std::nullopt, 5, 5}, 96, "x"), ExportError);
}

TEST(ClipExport, RefusesWhatItCannotCut) {
  const auto bytes = segment_song();
  std::pmr::monotonic_buffer_resource mr;
  const auto smf = parse::parse(test::as_bytes(bytes), &mr, {});
  EXPECT_THROW((void)make_clip(smf, Selection{7, std::nullopt, 1, 1}, 96, "x"), ExportError);  // no track 7
  EXPECT_THROW((void)make_clip(smf, Selection{}, 96, "x"), ExportError);                        // nothing selected
  EXPECT_THROW((void)make_clip(smf, Selection{1, std::nullopt, 3, 2}, 96, "x"), ExportError);   // A > B
  EXPECT_THROW((void)make_clip(smf, Selection{1, std::nullopt, 2, 40}, 96, "x"), ExportError);  // past the end
  auto smpte = bytes;
  smpte[12] = 0xE7;  // division: -25 fps, 40 ticks per frame
  smpte[13] = 0x28;
  const auto smf2 = parse::parse(test::as_bytes(smpte), &mr, {});
  try {
    (void)make_clip(smf2, Selection{1, std::nullopt, 1, 1}, 96, "x");
    FAIL() << "SMPTE division accepted";
  } catch (const ExportError& e) {
    EXPECT_NE(std::string(e.what()).find("SMPTE"), std::string::npos);
  }
}

TEST(ClipExport, CardFileNamesAreSafeAndFollowTheFatRules) {
  EXPECT_EQ(card_file_name("../../etc/passwd", false), "ETC_PASS.CLP");
  EXPECT_EQ(card_file_name("groove", false), "GROOVE.CLP");
  EXPECT_EQ(card_file_name("pop909 001", false), "POP9_001.CLP");
  EXPECT_EQ(card_file_name("CON", false), "CON_.CLP");
  EXPECT_EQ(card_file_name("lpt1", false), "LPT1_.CLP");
  EXPECT_EQ(card_file_name("index", false), "INDEX_.CLP");
  EXPECT_EQ(card_file_name("", false), "CLIP.CLP");
  EXPECT_EQ(card_file_name("...///", false), "CLIP.CLP");
  EXPECT_EQ(card_file_name("Funky Drummer 2", true), "Funky Drummer 2.CLP");
  EXPECT_EQ(card_file_name("a/../b", true), "a_b.CLP");
  for (const char* wish : {"../x", "Ünïcödé", "a.b.c", "  ", "COM9", "x:y*z?", "verylongname_with_many_parts_1234"}) {
    for (const bool long_names : {false, true}) {
      const auto name = card_file_name(wish, long_names);
      EXPECT_TRUE(clip::valid_file_name(name.c_str(), "CLP", long_names)) << wish << " -> " << name;
      EXPECT_EQ(name.find('/'), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace midisift::clipexport
