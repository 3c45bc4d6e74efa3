#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include <filesystem>
#include <fstream>

#include "midisift/parse/input_file.hpp"

namespace midisift::parse {
namespace {

namespace fs = std::filesystem;

class InputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("midisift_input_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(InputFileTest, MapsAFile) {
  const auto p = dir_ / "a.mid";
  std::ofstream(p, std::ios::binary) << "MThd";
  InputFile f;
  OpenError err;
  ASSERT_TRUE(f.open(p, err)) << err.message;
  ASSERT_EQ(f.bytes().size(), 4U);
  EXPECT_EQ(std::to_integer<char>(f.bytes()[0]), 'M');
  EXPECT_EQ(f.size(), 4U);
  EXPECT_GT(f.mtime_ns(), 0);
}

TEST_F(InputFileTest, EmptyFileIsAClearError) {
  const auto p = dir_ / "empty.mid";
  std::ofstream(p, std::ios::binary).flush();
  InputFile f;
  OpenError err;
  EXPECT_FALSE(f.open(p, err));
  EXPECT_EQ(err.code, Fatal::EmptyFile);
  EXPECT_TRUE(f.bytes().empty());
}

TEST_F(InputFileTest, DirectoryNamedMidIsAClearError) {
  const auto p = dir_ / "folder.mid";
  fs::create_directory(p);
  InputFile f;
  OpenError err;
  EXPECT_FALSE(f.open(p, err));
  EXPECT_EQ(err.code, Fatal::NotAFile);
  EXPECT_EQ(err.message, "is a directory");
}

TEST_F(InputFileTest, MissingFileHasVanished) {
  for (const Access access : {Access::Map, Access::Read}) {
    InputFile f;
    OpenError err;
    EXPECT_FALSE(f.open(dir_ / "nope.mid", err, access));
    EXPECT_EQ(err.code, Fatal::Vanished);
    EXPECT_NE(err.message.find("no such file"), std::string::npos) << err.message;
  }
}

TEST_F(InputFileTest, BrokenSymlinkIsAnIoErrorNotVanished) {
  fs::create_symlink(dir_ / "target_that_is_not_there.mid", dir_ / "link.mid");
  for (const Access access : {Access::Map, Access::Read}) {
    InputFile f;
    OpenError err;
    EXPECT_FALSE(f.open(dir_ / "link.mid", err, access));
    EXPECT_EQ(err.code, Fatal::Io);
    EXPECT_EQ(err.message, "broken symbolic link (its target does not exist)");
  }
}

TEST_F(InputFileTest, ReadGivesTheSameBytesAsMapAndReusesItsBuffer) {
  const auto big = dir_ / "big.mid";
  const auto small = dir_ / "small.mid";
  std::string content(100'000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + 3);
  std::ofstream(big, std::ios::binary) << content;
  std::ofstream(small, std::ios::binary) << "MThd";
  InputFile mapped, read;
  OpenError err;
  ASSERT_TRUE(mapped.open(big, err, Access::Map)) << err.message;
  ASSERT_TRUE(read.open(big, err, Access::Read)) << err.message;
  ASSERT_EQ(read.bytes().size(), content.size());
  EXPECT_EQ(std::memcmp(read.bytes().data(), mapped.bytes().data(), content.size()), 0);
  EXPECT_EQ(read.size(), mapped.size());
  EXPECT_EQ(read.mtime_ns(), mapped.mtime_ns());
  const auto* first = read.bytes().data();
  ASSERT_TRUE(read.open(small, err, Access::Read)) << err.message;
  EXPECT_EQ(read.bytes().size(), 4U);
  EXPECT_EQ(read.bytes().data(), first) << "a smaller file reuses the buffer";
}

TEST_F(InputFileTest, FifoIsNotAFileAndDoesNotBlock) {
  const auto p = dir_ / "pipe.mid";
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  InputFile f;
  OpenError err;
  EXPECT_FALSE(f.open(p, err, Access::Read));
  EXPECT_EQ(err.code, Fatal::NotAFile);
}

// A file appended to while it is read is reported, not half-read: another thread keeps
// appending, and some open() must see the size change between its two fstat() calls.
TEST_F(InputFileTest, FileGrowingWhileReadIsUnstable) {
  const auto p = dir_ / "growing.mid";
  std::ofstream(p, std::ios::binary) << std::string(1 << 20, 'x');
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::ofstream out(p, std::ios::binary | std::ios::app);
    const std::string chunk(512, 'y');
    while (!stop) {
      out << chunk;
      out.flush();
    }
  });
  bool unstable = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  InputFile f;
  while (!unstable && std::chrono::steady_clock::now() < deadline) {
    OpenError err;
    if (!f.open(p, err, Access::Read)) {
      ASSERT_EQ(err.code, Fatal::Unstable) << err.message;
      unstable = true;
    } else {
      EXPECT_EQ(f.bytes().size(), f.size()) << "a clean read has exactly the size fstat gave";
    }
  }
  stop = true;
  writer.join();
  EXPECT_TRUE(unstable);
}

}  // namespace
}  // namespace midisift::parse
