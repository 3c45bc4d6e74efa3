#include <gtest/gtest.h>

#include <unistd.h>

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

TEST_F(InputFileTest, MissingFileIsAnIoError) {
  InputFile f;
  OpenError err;
  EXPECT_FALSE(f.open(dir_ / "nope.mid", err));
  EXPECT_EQ(err.code, Fatal::Io);
  EXPECT_NE(err.message.find("No such file"), std::string::npos) << err.message;
}

}  // namespace
}  // namespace midisift::parse
