// FileJob (one file read, parsed and analyzed) and the text view generated from the column table.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "collection.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/scan/columns.hpp"
#include "midisift/scan/file_result.hpp"
#include "temp_dir.hpp"

namespace midisift::scan {
namespace {

using test::TempDir;

TEST(FileJob, AVanishedFileIsToldApartFromAFailedOne) {
  parse::Arena arena;
  FileJob job;
  job.run("/nonexistent/midisift/x.mid", &arena, parse::ParseOptions{});
  EXPECT_TRUE(job.vanished());
  EXPECT_EQ(job.result.error_code, "vanished");
  TempDir dir;
  test::write_file(dir.path() / "e.mid", {});
  job.run(dir.path() / "e.mid", &arena, parse::ParseOptions{});
  EXPECT_FALSE(job.vanished());
  EXPECT_EQ(job.result.error_code, "empty_file");
  EXPECT_EQ(job.result.status, parse::ParseStatus::Failed);
}

TEST(FileJob, LastNoteSecondsEndsAtTheLastNoteOffNotAtALateEndOfTrack) {
  // ppq 96 at 100 BPM (600,000 us per quarter): a note from tick 0 to 192 (1.2 s), and a tempo
  // track whose End of Track lies at tick 960 (6 s).
  const auto bytes = test::cat({test::mthd(1, 2, 96),
                                test::mtrk({0x00, 0xFF, 0x51, 0x03, 0x09, 0x27, 0xC0, 0x87, 0x40, 0xFF, 0x2F, 0x00}),
                                test::mtrk({0x00, 0x90, 60, 90, 0x81, 0x40, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00})});
  parse::Arena arena;
  FileJob job;
  job.analyze(test::as_bytes(bytes), &arena, {});
  ASSERT_TRUE(job.result.music);
  ASSERT_TRUE(job.result.facts);
  EXPECT_DOUBLE_EQ(*job.result.facts->duration_seconds, 6.0);
  ASSERT_TRUE(job.result.music->last_note_seconds);
  EXPECT_DOUBLE_EQ(*job.result.music->last_note_seconds, 1.2);
  EXPECT_DOUBLE_EQ(to_json(job.result)["last_note_seconds"].get<double>(), 1.2);
}

TEST(Text, ShowsEveryColumnWithAValueInTableOrderThenTheRepairs) {
  const auto bytes = test::cat({test::mthd(0, 1, 96), test::mtrk({0x00, 0x90, 0x3C, 0x40, 0x60, 0x80, 0x3C, 0x00})});
  parse::Arena arena;
  FileJob job;
  job.result.path = "song.mid";
  job.analyze(test::as_bytes(bytes), &arena, {});
  const std::string text = to_text(job.result);
  EXPECT_EQ(text.rfind("song.mid\n", 0), 0U) << text;
  std::size_t last = 0;
  for (const auto& c : file_columns()) {
    if (c.value == nullptr || c.name == "path") continue;
    const Value v = c.value(job.result);
    const auto at = text.find("\n  " + std::string(c.name) + ":");
    if (std::holds_alternative<std::monostate>(v)) {
      EXPECT_EQ(at, std::string::npos) << c.name << " is NULL and not shown";
      continue;
    }
    ASSERT_NE(at, std::string::npos) << c.name << " missing from\n" << text;
    EXPECT_GT(at, last) << c.name << " out of table order";
    last = at;
  }
  EXPECT_NE(text.find("  status:"), std::string::npos);
  EXPECT_NE(text.find("recovered\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  repair: missing_end_of_track in track 0 at byte 30\n"), std::string::npos) << text;
  EXPECT_GT(text.find("  repair:"), last) << "repairs come after the columns";
}

}  // namespace
}  // namespace midisift::scan
