// Incremental scanning, in process: unchanged files skipped, changed ones re-analyzed, vanished
// ones marked, and what an interrupted walk must not conclude.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "collection.hpp"
#include "midisift/parse/arena.hpp"
#include "prior_scan.hpp"
#include "scan.hpp"
#include "temp_dir.hpp"

namespace midisift::cli {
namespace {

namespace fs = std::filesystem;
using namespace midisift::test;

// `sql` with its one '?' replaced by `p` as an SQL string literal.
std::string with_path(const std::string& sql, const fs::path& p) {
  std::string out = sql.substr(0, sql.find('?'));
  out += '\'';
  out += p.string();
  out += '\'';
  out += sql.substr(sql.find('?') + 1);
  return out;
}

ScanOptions options(const TempDir& dir, const fs::path& root) {
  ScanOptions o;
  o.roots = {root};
  o.database = dir.path() / "x.db";
  o.jobs = 2;
  o.progress = false;
  return o;
}

TEST(Incremental, ASecondScanSkipsUnchangedFilesAndStoresTheSame) {
  TempDir dir;
  make_songs(dir.path() / "c", 30, 20);
  const auto o = options(dir, dir.path() / "c");
  std::ostringstream warnings;
  const auto first = run_scan(o, warnings);
  EXPECT_EQ(first.files, 30U);
  EXPECT_EQ(first.unchanged, 0U);
  const auto before = snapshot(o.database);
  const std::string stamps = "SELECT group_concat(scanned_at) FROM (SELECT scanned_at FROM files ORDER BY path)";
  const auto written_at = query(o.database, stamps);
  const auto second = run_scan(o, warnings);
  EXPECT_EQ(second.files, 0U);
  EXPECT_EQ(second.unchanged, 30U);
  EXPECT_EQ(second.missing, 0U);
  EXPECT_EQ(snapshot(o.database), before);
  EXPECT_EQ(query(o.database, stamps), written_at) << "rows were not rewritten";
}

TEST(Incremental, RowsOfAnOlderAnalysisAreAnalyzedAgainAndTheRestSkipped) {
  // A release that changes a fact raises scan::kAnalysisVersion: the rows it did not write (an
  // older version, or NULL from before schema 7) are analysed again although the files are as
  // they were, and get the current version and the current facts.
  TempDir dir;
  make_songs(dir.path() / "c", 10, 20);
  const auto o = options(dir, dir.path() / "c");
  std::ostringstream warnings;
  (void)run_scan(o, warnings);
  const auto before = snapshot(o.database);
  const fs::path a = dir.path() / "c" / "d0" / "song_100003.mid";
  const fs::path b = dir.path() / "c" / "d0" / "song_100005.mid";
  {
    db::Database db(o.database);
    db.exec(with_path("UPDATE files SET analysis_version = NULL, notes = 0 WHERE path = ?", a).c_str());
    db.exec(with_path("UPDATE files SET analysis_version = analysis_version - 1, notes = 0 WHERE path = ?", b).c_str());
  }
  const auto s = run_scan(o, warnings);
  EXPECT_EQ(s.files, 2U);
  EXPECT_EQ(s.unchanged, 8U);
  EXPECT_EQ(snapshot(o.database), before) << "the two rows hold the current facts again";
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM files WHERE analysis_version = " +
                                  std::to_string(scan::kAnalysisVersion)),
            "10");
}

TEST(Incremental, AChangedFileIsAnalyzedAgain) {
  TempDir dir;
  make_songs(dir.path() / "c", 10, 20);
  const auto o = options(dir, dir.path() / "c");
  std::ostringstream warnings;
  (void)run_scan(o, warnings);
  const fs::path changed = dir.path() / "c" / "d0" / "song_100003.mid";
  const auto old_md5 = query(o.database, with_path("SELECT md5 FROM files WHERE path = ?", changed));
  write_file(changed, numbered_song(999, 30));
  // Same-second rewrites can keep the mtime on coarse file systems: move it on explicitly.
  fs::last_write_time(changed, fs::last_write_time(changed) + std::chrono::seconds(2));
  const auto s = run_scan(o, warnings);
  EXPECT_EQ(s.files, 1U);
  EXPECT_EQ(s.unchanged, 9U);
  const auto new_row = query(o.database, with_path("SELECT md5, notes FROM files WHERE path = ?", changed));
  EXPECT_NE(new_row.substr(0, 32), old_md5);
  EXPECT_EQ(new_row.substr(33), "60");
  // Only the modification time changes: also analyzed again (a touch can mean new content of equal size).
  fs::last_write_time(changed, fs::last_write_time(changed) + std::chrono::seconds(2));
  EXPECT_EQ(run_scan(o, warnings).files, 1U);
}

TEST(Incremental, ADeletedFileIsMarkedMissingAndItsRowComesBackWithIt) {
  TempDir dir;
  make_songs(dir.path() / "c", 10, 20);
  const auto o = options(dir, dir.path() / "c");
  std::ostringstream warnings;
  (void)run_scan(o, warnings);
  const fs::path gone = dir.path() / "c" / "d0" / "song_100005.mid";
  const fs::path kept_aside = dir.path() / "aside.mid";
  fs::rename(gone, kept_aside);
  const auto s = run_scan(o, warnings);
  EXPECT_EQ(s.missing, 1U);
  EXPECT_EQ(s.unchanged, 9U);
  EXPECT_EQ(query(o.database, "SELECT path FROM files WHERE missing_since IS NOT NULL"), gone.string());
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM present_files"), "9");
  EXPECT_EQ(run_scan(o, warnings).missing, 0U) << "marked once";
  fs::rename(kept_aside, gone);
  const auto back = run_scan(o, warnings);
  EXPECT_EQ(back.files, 1U) << "a file marked missing is analyzed again when it returns";
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM present_files"), "10");
}

TEST(Incremental, RescanAnalyzesEverything) {
  TempDir dir;
  make_songs(dir.path() / "c", 12, 20);
  auto o = options(dir, dir.path() / "c");
  std::ostringstream warnings;
  (void)run_scan(o, warnings);
  o.rescan = true;
  const auto s = run_scan(o, warnings);
  EXPECT_EQ(s.files, 12U);
  EXPECT_EQ(s.unchanged, 0U);
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM files"), "12");
}

TEST(Incremental, ARootWrittenWithATrailingSlashIsTheSameRoot) {
  TempDir dir;
  make_songs(dir.path() / "c", 5, 20);
  auto o = options(dir, dir.path() / "c");
  std::ostringstream warnings;
  (void)run_scan(o, warnings);
  o.roots = {fs::path(dir.path().string() + "/c/")};
  const auto s = run_scan(o, warnings);
  EXPECT_EQ(s.unchanged, 5U);
  EXPECT_EQ(s.missing, 0U);
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM files"), "5");
}

TEST(Incremental, FilesUnderAnUnreadableRootAreNotMarkedMissing) {
  // A root that is gone (an unmounted drive, a renamed folder) says nothing about its files.
  TempDir dir;
  make_songs(dir.path() / "c", 5, 20);
  const auto o = options(dir, dir.path() / "c");
  std::ostringstream warnings;
  (void)run_scan(o, warnings);
  fs::rename(dir.path() / "c", dir.path() / "elsewhere");
  EXPECT_THROW((void)run_scan(o, warnings), std::runtime_error) << "a root that is gone stops the scan";
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM present_files"), "5");
  // A root that exists but cannot be read: reported, and its files are not marked missing either.
  fs::rename(dir.path() / "elsewhere", dir.path() / "c");
  fs::permissions(dir.path() / "c", fs::perms::none);
  const auto s = run_scan(o, warnings);
  fs::permissions(dir.path() / "c", fs::perms::owner_all);
  if (::geteuid() != 0) {  // root reads the folder anyway
    EXPECT_EQ(s.walk_errors, 1U);
  }
  EXPECT_EQ(s.missing, 0U);
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM present_files"), "5");
}

TEST(Incremental, ScanningOneFolderLeavesOtherFoldersRowsAlone) {
  TempDir dir;
  make_songs(dir.path() / "a", 3, 20);
  make_songs(dir.path() / "ab", 4, 20);  // shares the prefix "a": not under "a/"
  std::ostringstream warnings;
  auto o = options(dir, dir.path() / "a");
  o.roots = {dir.path() / "a", dir.path() / "ab"};
  (void)run_scan(o, warnings);
  fs::remove_all(dir.path() / "ab");
  o.roots = {dir.path() / "a"};
  const auto s = run_scan(o, warnings);
  EXPECT_EQ(s.missing, 0U) << "ab/ was not scanned this time";
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM present_files"), "7");
}

TEST(Incremental, AnInterruptStopsTheWalkCommitsWhatIsDoneAndMarksNothingMissing) {
  TempDir dir;
  make_songs(dir.path() / "c", 20, 20);
  auto o = options(dir, dir.path() / "c");
  std::ostringstream warnings;
  (void)run_scan(o, warnings);
  std::atomic<bool> stop{true};
  o.interrupt = &stop;
  o.rescan = true;
  const auto s = run_scan(o, warnings);
  EXPECT_TRUE(s.interrupted);
  EXPECT_EQ(s.files, 0U);
  EXPECT_EQ(s.missing, 0U) << "an interrupted walk has not looked everywhere";
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM present_files"), "20");
}

TEST(Incremental, ARowWithoutModificationTimeIsNeverUnchanged) {
  // Files that changed while being read are stored without mtime_ns: the next scan retries them.
  PriorScan::Entry e;
  e.size_bytes = 100;
  e.mtime_ns = 5;
  e.has_mtime = true;
  e.analysis_version = scan::kAnalysisVersion;
  EXPECT_TRUE(PriorScan::unchanged(e, 100, 5));
  e.analysis_version = scan::kAnalysisVersion - 1;
  EXPECT_FALSE(PriorScan::unchanged(e, 100, 5)) << "written by an older analysis";
  e.analysis_version = scan::kAnalysisVersion;
  EXPECT_FALSE(PriorScan::unchanged(e, 101, 5));
  EXPECT_FALSE(PriorScan::unchanged(e, 100, 6));
  e.has_mtime = false;
  EXPECT_FALSE(PriorScan::unchanged(e, 100, 5));
  e.has_mtime = true;
  e.missing = true;
  EXPECT_FALSE(PriorScan::unchanged(e, 100, 5));
}

// Files deleted while the scan runs: whatever the timing, each is accounted for exactly once, as
// analyzed (read before it went), vanished (listed, gone before it was read: the earlier row is
// marked missing) or missing (gone before its folder was listed).
TEST(Incremental, FilesDeletedDuringTheScanAreEachAccountedFor) {
  TempDir dir;
  constexpr std::uint32_t kFiles = 1500;
  make_songs(dir.path() / "c", kFiles, 60);
  auto o = options(dir, dir.path() / "c");
  std::ostringstream warnings;
  (void)run_scan(o, warnings);
  o.rescan = true;
  o.jobs = 1;
  std::vector<fs::path> victims;
  for (const auto& e : fs::recursive_directory_iterator(dir.path() / "c")) {
    if (e.is_regular_file()) victims.push_back(e.path());
  }
  std::sort(victims.rbegin(), victims.rend());  // from the end of the walk backwards
  std::thread deleter([&] {
    for (const auto& v : victims) {
      fs::remove(v);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  const auto s = run_scan(o, warnings);
  deleter.join();
  EXPECT_EQ(s.files + s.vanished + s.missing, kFiles) << format_summary(s);
  EXPECT_EQ(s.failed, 0U) << "a deleted file is not a failed file";
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM present_files"), std::to_string(s.files));
  EXPECT_EQ(query(o.database, "SELECT count(*) FROM files"), std::to_string(kFiles));
  if (s.vanished > 0) {
    EXPECT_NE(warnings.str().find("vanished during the scan"), std::string::npos);
  }
}

}  // namespace
}  // namespace midisift::cli
