// `midisift clips`: the real command end to end (round trip through the firmware library, verify,
// --db export, FAT32 image).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory_resource>

#include "clips.hpp"
#include "collection.hpp"
#include "midisift/analyze/notes.hpp"
#include "midisift/clip/host_file_system.hpp"
#include "midisift/clip/library.hpp"
#include "song_builder.hpp"
#include "run_binary.hpp"
#include "temp_dir.hpp"

namespace midisift::cli {
namespace {

using test::Run;

using test::SongTrack;
using test::TempDir;

Run run(const std::string& args) { return test::run_midisift(args); }

using test::quoted;

const std::filesystem::path kCorpus = MIDISIFT_CORPUS_DIR;

TEST(ClipsCommand, RealFilesRoundTripThroughTheFirmwareLibrary) {
  const auto pop = kCorpus / "pop909" / "POP909";
  if (!std::filesystem::exists(pop)) GTEST_SKIP() << "no corpus at " << kCorpus << " (../shared/corpus)";
  TempDir dir;
  const auto card = dir.path() / "card";
  for (const char* n : {"001", "002", "003"}) {
    const auto midi = pop / n / (std::string(n) + ".mid");
    // At the file's own ppq (480) no tick is rounded: the clip must hold exactly the source's events.
    const auto r = run("clips export " + quoted(midi) + " --track 1 --bars 21-24 --ppq 480 --out " + quoted(card) +
                       " --name " + n);
    ASSERT_EQ(r.status, 0) << r.out;

    // The source segment, computed here from the parsed file.
    std::ifstream in(midi, std::ios::binary);
    const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::pmr::monotonic_buffer_resource mr;
    const auto smf = parse::parse(std::as_bytes(std::span(raw)), &mr, {});
    ASSERT_EQ(smf.header().ppq(), 480);
    const analyze::MeterMap meter(smf, 1U << 30, &mr, 64);
    const std::uint32_t start = meter.bars()[20];
    const std::uint32_t end = meter.bars()[24];
    std::vector<clip::Event> note_ons;
    for (const auto& e : smf.tracks()[1].events) {
      if (e.is_note_on() && e.tick >= start && e.tick < end) note_ons.push_back({e.tick - start, e.status, e.data1, e.data2});
    }
    ASSERT_FALSE(note_ons.empty());

    clip::HostFileSystem fs(card.string());
    clip::Library library(fs);
    clip::MountReport report;
    ASSERT_EQ(library.mount(&report), clip::Status::Ok);
    EXPECT_FALSE(report.index_rebuilt);
    clip::ClipRef ref;
    const std::string file = std::string(n) + ".CLP";
    ASSERT_EQ(library.acquire(file.c_str(), ref), clip::Status::Ok);
    const auto& loaded = library.clip(ref);
    EXPECT_EQ(loaded.header.loop_ticks, end - start);
    std::vector<clip::Event> loaded_ons;
    std::size_t offs = 0;
    for (const auto& e : loaded.span()) {
      if ((e.status & 0xF0) == 0x90 && e.data2 > 0) loaded_ons.push_back(e);
      if ((e.status & 0xF0) == 0x80 || ((e.status & 0xF0) == 0x90 && e.data2 == 0)) ++offs;
      EXPECT_LE(e.tick, loaded.header.loop_ticks);
    }
    EXPECT_EQ(loaded_ons, note_ons) << midi;
    EXPECT_EQ(offs, loaded_ons.size()) << "every note released in the clip";
    library.release(ref);
  }
  const auto verify = run("clips verify " + quoted(card));
  EXPECT_EQ(verify.status, 0) << verify.out;
  EXPECT_NE(verify.out.find("3 clips"), std::string::npos) << verify.out;
  const auto ls = run("clips ls --json " + quoted(card));
  EXPECT_EQ(ls.status, 0);
  EXPECT_NE(ls.out.find("\"file\":\"002.CLP\""), std::string::npos) << ls.out;
  // Exporting the same segment again changes nothing and adds no copy.
  const auto again = run("clips export " + quoted(pop / "001" / "001.mid") + " --track 1 --bars 21-24 --ppq 480 --out " +
                         quoted(card) + " --name 001");
  EXPECT_NE(again.out.find("unchanged /clips/001.CLP"), std::string::npos) << again.out;
  // A different segment under the same name gets a new file name instead of replacing it.
  const auto other = run("clips export " + quoted(pop / "001" / "001.mid") + " --track 1 --bars 25-28 --out " +
                         quoted(card) + " --name 001");
  EXPECT_NE(other.out.find("/clips/001_2.CLP"), std::string::npos) << other.out;
}

TEST(ClipsCommand, VerifyNamesEachDamagedFile) {
  TempDir dir;
  const auto midi = dir.path() / "song.mid";
  test::write_file(midi, test::segment_song());
  const auto card = dir.path() / "card";
  ASSERT_EQ(run("clips export " + quoted(midi) + " --track 1 --bars 2-3 --out " + quoted(card) + " --name a").status, 0);
  ASSERT_EQ(run("clips export " + quoted(midi) + " --channel 1 --bars 2-2 --out " + quoted(card) + " --name b").status, 0);
  ASSERT_EQ(run("clips verify " + quoted(card)).status, 0);
  {
    std::fstream f(card / "clips" / "B.CLP", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(clip::kClipHeaderSize + 6);  // velocity of the first event
    f.put(static_cast<char>(1));
  }
  test::write_file(card / "clips" / "C.CL~", {1, 2, 3});
  const auto r = run("clips verify " + quoted(card));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("/clips/B.CLP: bad checksum"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/clips/C.CL~: temporary file"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("entry 1 names B.CLP, which is missing or damaged"), std::string::npos) << r.out;
  std::filesystem::remove(card / "clips" / "INDEX.BIN");
  EXPECT_NE(run("clips verify " + quoted(card)).out.find("/clips/INDEX.BIN: not found"), std::string::npos);
  EXPECT_EQ(run("clips ls " + quoted(card)).status, 1);
  EXPECT_EQ(run("clips verify " + quoted(dir.path() / "nowhere")).status, 1);
}

TEST(ClipsCommand, ExportsLoopCandidatesOfAScannedCollection) {
  TempDir dir;
  // A drum bar played four times (a loop candidate) and a melody that never repeats.
  SongTrack drums;
  for (std::uint32_t bar = 0; bar < 4; ++bar) {
    for (std::uint32_t beat = 0; beat < 4; ++beat) {
      drums.notes.push_back({bar * 384 + beat * 96, bar * 384 + beat * 96 + 48, static_cast<std::uint8_t>(beat % 2 ? 38 : 36), 9});
    }
  }
  SongTrack melody;
  for (std::uint8_t i = 0; i < 16; ++i) melody.notes.push_back({i * 96U, i * 96U + 90, static_cast<std::uint8_t>(50 + i * 3)});
  const auto songs = dir.path() / "songs";
  std::filesystem::create_directories(songs);
  test::write_file(songs / "groove.mid", test::song(96, {drums, melody}));
  const auto db = dir.path() / "c.db";
  ASSERT_EQ(run("scan " + quoted(songs) + " --db " + quoted(db) + " --quiet").status, 0);
  const auto card = dir.path() / "card";
  const auto r = run("clips export --db " + quoted(db) + " --where \"drum AND bars = 1\" --out " + quoted(card));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("1 clips written, 0 already on the card, from 1 loop candidates; 0 failed"), std::string::npos) << r.out;
  clip::HostFileSystem fs(card.string());
  clip::Library library(fs);
  ASSERT_EQ(library.mount(), clip::Status::Ok);
  ASSERT_EQ(library.clip_count(), 1U);
  clip::IndexEntry e;
  ASSERT_EQ(library.entry(0, e), clip::Status::Ok);
  EXPECT_EQ(e.bars, 1U);
  EXPECT_EQ(e.event_count, 8U);  // four drum hits and their releases
  // The condition cannot write to the database.
  const auto evil = run("clips export --db " + quoted(db) + " --where \"1); DELETE FROM files; --\" --out " + quoted(card));
  EXPECT_EQ(evil.status, 1);
  EXPECT_EQ(test::query(db, "SELECT count(*) FROM files"), "1");
  EXPECT_EQ(run("clips export --db " + quoted(db) + " --where \"bars = 99\" --out " + quoted(card)).status, 1);
}

TEST(ClipsCommand, BuildsAFat32ImageOfTheCard) {
  if (std::system("command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null") != 0) {
    GTEST_SKIP() << "mkfs.fat or mcopy missing (Debian: dosfstools, mtools; scripts/bootstrap installs them)";
  }
  TempDir dir;
  const auto midi = dir.path() / "song.mid";
  test::write_file(midi, test::segment_song());
  const auto card = dir.path() / "card";
  const auto image = dir.path() / "sd.img";
  const auto r = run("clips export " + quoted(midi) + " --track 1 --bars 2-3 --out " + quoted(card) + " --name groove --image " +
                     quoted(image));
  ASSERT_EQ(r.status, 0) << r.out;
  const auto back = dir.path() / "back.clp";
  ASSERT_EQ(std::system(("MTOOLS_SKIP_CHECK=1 mcopy -n -i " + quoted(image) + " ::/clips/GROOVE.CLP " + quoted(back)).c_str()), 0);
  std::ifstream a(card / "clips" / "GROOVE.CLP", std::ios::binary);
  std::ifstream b(back, std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(a)), std::istreambuf_iterator<char>());
  const std::string sb((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(sa.empty());
  EXPECT_EQ(sa, sb);
}

}  // namespace
}  // namespace midisift::cli
