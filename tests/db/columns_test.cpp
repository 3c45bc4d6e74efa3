// The column table (scan::file_columns) against what is generated from it: the database's `files`
// table, the JSON of `midisift info --json` and the column list of db/SCHEMA.md.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "collection.hpp"
#include "midisift/db/database.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/scan/columns.hpp"
#include "temp_dir.hpp"

namespace midisift::db {
namespace {

namespace fs = std::filesystem;

const scan::Column* find_column(std::string_view name) {
  for (const auto& c : scan::file_columns()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Real files when the corpus is there (six of each folder, damaged ones included), and always a
// few synthetic ones: songs, an empty file, a file that is not MIDI, one without End of Track.
std::vector<fs::path> sample_files(const fs::path& synthetic, bool& real) {
  std::vector<fs::path> files;
  for (std::uint32_t i = 0; i < 3; ++i) {
    files.push_back(synthetic / ("song" + std::to_string(i) + ".mid"));
    test::write_file(files.back(), test::numbered_song(i, 40));
  }
  files.push_back(synthetic / "empty.mid");
  test::write_file(files.back(), {});
  files.push_back(synthetic / "text.mid");
  test::write_file(files.back(), {'n', 'o', 't', ' ', 'M', 'I', 'D', 'I'});
  files.push_back(synthetic / "damaged.mid");
  test::write_file(files.back(), test::cat({test::mthd(0, 1, 96), test::mtrk({0x00, 0x90, 0x3C, 0x40})}));
  const fs::path corpus = MIDISIFT_CORPUS_DIR;
  real = fs::exists(corpus);
  if (real) {
    for (const char* folder : {"pop909", "asap", "vgmidi", "edge"}) {
      int taken = 0;
      for (const auto& e : fs::recursive_directory_iterator(corpus / folder)) {
        const auto ext = e.path().extension().string();
        if (!e.is_regular_file() || ext == ".txt" || ext == ".tsv" || ext == ".json") continue;
        files.push_back(e.path());
        if (++taken == 6) break;
      }
    }
    for (const auto& e : fs::recursive_directory_iterator(corpus / "edge" / "karaoke")) {
      if (e.path().extension() == ".kar") files.push_back(e.path());  // lyrics
    }
  } else {
    std::cout << "no corpus at " << corpus << " (../shared/corpus): synthetic files only\n";
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

// The JSON that a value of SQLite's must equal (JSON-typed TEXT is compared as parsed JSON).
nlohmann::json json_of_sql(sqlite3_stmt* s, int i, const scan::Column& c) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_NULL: return nullptr;
    case SQLITE_INTEGER: return sqlite3_column_int64(s, i);
    case SQLITE_FLOAT: return sqlite3_column_double(s, i);
    default: {
      const std::string text(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                             static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
      return c.type == scan::ColumnType::Json ? nlohmann::json::parse(text) : nlohmann::json(text);
    }
  }
}

TEST(Columns, EveryColumnOfTheDatabaseIsInInfoJsonWithTheSameValue) {
  test::TempDir dir;
  bool real = false;
  const auto files = sample_files(dir.path() / "c", real);
  const auto db_file = dir.path() / "x.db";
  std::map<std::string, nlohmann::json> json_by_path;
  {
    Database db(db_file);
    Writer writer(db);
    parse::Arena arena;
    scan::FileJob job;
    for (const auto& f : files) {
      job.run(f, &arena, parse::ParseOptions{});
      writer.add(job.result);
      // What `info --json` prints: dumped and read back, as a user's program reads it.
      json_by_path[job.result.path] = nlohmann::json::parse(scan::to_json(job.result).dump());
      job.clear();
      arena.reset();
    }
    writer.flush();
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const std::unique_ptr<sqlite3, decltype(&sqlite3_close)> conn(raw, &sqlite3_close);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "SELECT * FROM files ORDER BY path", -1, &s, nullptr), SQLITE_OK);
  const std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(s, &sqlite3_finalize);
  const int n = sqlite3_column_count(s);
  ASSERT_EQ(static_cast<std::size_t>(n), scan::file_columns().size()) << "every column of `files` is in the table";
  std::size_t rows = 0, compared = 0;
  std::set<std::string> non_null;
  while (sqlite3_step(s) == SQLITE_ROW) {
    ++rows;
    const std::string path(reinterpret_cast<const char*>(sqlite3_column_text(s, 1)));
    ASSERT_TRUE(json_by_path.contains(path)) << path;
    const auto& j = json_by_path[path];
    for (int i = 0; i < n; ++i) {
      const std::string name = sqlite3_column_name(s, i);
      const auto* column = find_column(name);
      ASSERT_NE(column, nullptr) << "column " << name << " of `files` is not in scan::file_columns()";
      EXPECT_EQ(scan::file_columns()[static_cast<std::size_t>(i)].name, name) << "table order";
      if (column->value == nullptr) {
        EXPECT_FALSE(j.contains(name)) << name << " is the database's own";
        continue;
      }
      ASSERT_TRUE(j.contains(name)) << name << " missing from info --json for " << path;
      EXPECT_EQ(j[name], json_of_sql(s, i, *column)) << name << " of " << path;
      if (!j[name].is_null()) non_null.insert(name);
      ++compared;
    }
  }
  EXPECT_EQ(rows, files.size());
  EXPECT_GT(compared, rows * 60);
  // Every fact column held a value for some real file: the comparison saw each of them carry data.
  if (!real) return;
  for (const auto& c : scan::file_columns()) {
    if (c.value == nullptr || c.name == "smpte_fps" || c.name == "ticks_per_frame") continue;
    EXPECT_TRUE(non_null.contains(std::string(c.name))) << c.name << " was NULL for every sample file";
  }
}

// db/SCHEMA.md between its markers is exactly the generated list. MIDISIFT_UPDATE_DOCS=1 rewrites it.
TEST(Columns, SchemaDocumentListsTheColumnsOfTheTable) {
  const fs::path doc = fs::path(MIDISIFT_SOURCE_DIR) / "db" / "SCHEMA.md";
  std::ifstream in(doc);
  ASSERT_TRUE(in) << doc;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  const std::string begin = "<!-- columns: generated from scan::file_columns() -->\n";
  const std::string end = "<!-- end of generated columns -->";
  const auto a = text.find(begin);
  const auto b = text.find(end);
  ASSERT_NE(a, std::string::npos) << doc << " has no marker " << begin;
  ASSERT_NE(b, std::string::npos) << doc << " has no marker " << end;
  const std::string listed = text.substr(a + begin.size(), b - a - begin.size());
  const std::string expected = scan::columns_markdown();
  if (listed != expected && std::getenv("MIDISIFT_UPDATE_DOCS") != nullptr) {
    text.replace(a + begin.size(), b - a - begin.size(), expected);
    std::ofstream(doc) << text;
    GTEST_SKIP() << "rewrote " << doc;
  }
  EXPECT_EQ(listed, expected) << doc << " differs from the column table; run the db tests with MIDISIFT_UPDATE_DOCS=1";
  for (const auto& c : scan::file_columns()) {
    EXPECT_NE(listed.find("| `" + std::string(c.name) + "` |"), std::string::npos) << c.name;
  }
}

}  // namespace
}  // namespace midisift::db
