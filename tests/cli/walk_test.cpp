#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "temp_dir.hpp"
#include "walk.hpp"

namespace midisift::cli {
namespace {

namespace fs = std::filesystem;

TEST(Walk, RecognisesMidiExtensionsInAnyCase) {
  for (const char* name : {"a.mid", "a.MID", "a.Midi", "a.kar", "a.RMI", "a.smf"}) EXPECT_TRUE(has_midi_extension(name)) << name;
  for (const char* name : {"a.txt", "a.mid.bak", "mid", "a.mi", "a."}) EXPECT_FALSE(has_midi_extension(name)) << name;
}

TEST(Walk, YieldsFilesInNameOrderAndSkipsFolders) {
  test::TempDir dir;
  const auto& root = dir.path();
  for (const char* p : {"b.mid", "a.mid", "z/c.mid", "m/x.txt"}) {
    fs::create_directories((root / p).parent_path());
    std::ofstream(root / p) << "x";
  }
  fs::create_directories(root / "folder.mid");
  fs::create_directory_symlink(root, root / "loop");  // a cycle, not followed
  Walker w({root}, nullptr);
  std::vector<std::string> got;
  while (auto p = w.next()) got.push_back(fs::relative(*p, root).string());
  EXPECT_EQ(got, (std::vector<std::string>{"a.mid", "b.mid", "z/c.mid"}));
  EXPECT_EQ(w.errors(), 0U);
}

TEST(Walk, AFileRootIsYieldedWhateverItsName) {
  test::TempDir dir;
  std::ofstream(dir.path() / "song.bin") << "x";
  Walker w({dir.path() / "song.bin"}, nullptr);
  EXPECT_EQ(w.next(), dir.path() / "song.bin");
  EXPECT_FALSE(w.next());
}

}  // namespace
}  // namespace midisift::cli
