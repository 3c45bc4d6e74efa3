// `midisift report`, rendered by headless Chromium (Debian `chromium`): every chart drawn, no
// console error, no network request, and what the page says about empty or all-failed collections.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "collection.hpp"
#include "run_binary.hpp"
#include "temp_dir.hpp"


namespace midisift::cli {
namespace {

namespace fs = std::filesystem;
using test::quoted;
using test::TempDir;

// The page as a file: URL, quoted for the shell.
std::string file_url(const fs::path& page) { return test::quoted(fs::path("file://" + page.string())); }

// Chromium with a profile of its own in the system temp folder: tests running at once (ctest -j)
// never share one, and nothing depends on $HOME.
std::string chromium() {
  static const TempDir profile;
  static std::atomic<int> runs{0};
  return "chromium --headless=new --no-sandbox --disable-gpu --user-data-dir=" +
         quoted(profile.path() / std::to_string(runs++)) + " ";
}

bool have_chromium() { return test::run_shell("command -v chromium && echo found").find("found") != std::string::npos; }

// The attributes the page's script leaves on <body> once it has drawn (data-charts, data-drawn,
// data-blank, data-errors, data-done), from the DOM Chromium rendered. `extra`: more flags.
std::string rendered_body(const fs::path& page, const std::string& extra = "") {
  const auto dom = test::run_shell(chromium() + "--virtual-time-budget=15000 " +
                                   extra + " --dump-dom " + file_url(page) + " 2>/dev/null");
  const auto at = dom.find("<body");
  return at == std::string::npos ? "no <body> in: " + dom.substr(0, 400) : dom.substr(at, dom.find('>', at) - at);
}

std::string attribute(const std::string& body, const std::string& name) {
  const auto at = body.find(name + "=\"");
  if (at == std::string::npos) return "<none>";
  const auto from = at + name.size() + 2;
  return body.substr(from, body.find('"', from) - from);
}

std::size_t words(const std::string& s) {
  std::istringstream in(s);
  std::size_t n = 0;
  for (std::string w; in >> w;) ++n;
  return n;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The corpus when it is there, else a synthetic collection with drums and a damaged file.
fs::path scanned(const TempDir& dir) {
  fs::path root = MIDISIFT_CORPUS_DIR;
  if (!fs::exists(root)) {
    std::cout << "no corpus at " << root << " (../shared/corpus): synthetic songs\n";
    root = dir.path() / "songs";
    test::make_songs(root, 60, 60);
    test::write_file(root / "bad.mid", {'n', 'o'});
  }
  auto db = dir.path() / "x.db";
  EXPECT_EQ(test::run_midisift("scan " + quoted(root) + " --db " + quoted(db) + " -q").status, 0);
  return db;
}

TEST(Report, EveryChartIsDrawnOfflineWithoutAConsoleError) {
  if (!have_chromium()) GTEST_SKIP() << "no chromium (Debian chromium, installed by scripts/bootstrap)";
  TempDir dir;
  const auto db = scanned(dir);
  const auto page = dir.path() / "report.html";
  const auto r = test::run_midisift("report --db " + quoted(db) + " --out " + quoted(page) + " --title 'A <b>title</b>'");
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string html = read(page);
  EXPECT_NE(html.find("<h1>A &lt;b&gt;title&lt;/b&gt;</h1>"), std::string::npos) << "escaped";
  // Nothing to fetch: no src/href to anywhere, no CSS url(), no fetch or XHR of the page's own.
  for (const char* ref : {"src=\"http", "href=\"http", "src='http", "url(http", "XMLHttpRequest", "fetch("}) {
    EXPECT_EQ(html.find(ref), std::string::npos) << ref;
  }
  const std::string body = rendered_body(page);
  EXPECT_EQ(attribute(body, "data-done"), "yes") << body;
  EXPECT_EQ(attribute(body, "data-errors"), "") << body;
  EXPECT_EQ(attribute(body, "data-blank"), "") << body;
  const auto charts = std::stoul(attribute(body, "data-charts"));
  EXPECT_GE(charts, 12U) << body;
  EXPECT_EQ(words(attribute(body, "data-drawn")), charts) << body;
  for (const char* id : {"keys", "tempo", "length", "meter", "families", "density", "polyphony", "muspy-rates",
                         "muspy-entropy", "status"}) {
    EXPECT_NE(attribute(body, "data-drawn").find(id), std::string::npos) << id << ": " << body;
  }
  // With every network request sent to a closed port, the page still draws all of it.
  const std::string offline = rendered_body(page, "--proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>'");
  EXPECT_EQ(attribute(offline, "data-drawn"), attribute(body, "data-drawn")) << offline;
  // A screenshot for people, in the build folder.
  const auto png = fs::path(MIDISIFT_BUILD_DIR) / "report.png";
  (void)test::run_shell(chromium() + "--hide-scrollbars --virtual-time-budget=15000 "
                        "--window-size=1000,7400 --screenshot=" + quoted(png) + " " + file_url(page));
  EXPECT_GT(fs::exists(png) ? fs::file_size(png) : 0, 50'000U) << png;
  std::cout << "report " << fs::file_size(page) / 1024 << " KB, " << charts << " charts; screenshot " << png << "\n";
}

TEST(Report, SaysSoWhenThereIsNothingToChart) {
  if (!have_chromium()) GTEST_SKIP() << "no chromium (Debian chromium, installed by scripts/bootstrap)";
  TempDir dir;
  // Empty: a database without files.
  fs::create_directories(dir.path() / "none");
  const auto empty = dir.path() / "empty.db";
  ASSERT_EQ(test::run_midisift("scan " + quoted(dir.path() / "none") + " --db " + quoted(empty) + " -q").status, 0);
  ASSERT_EQ(test::run_midisift("report --db " + quoted(empty) + " --out " + quoted(dir.path() / "e.html")).status, 0);
  EXPECT_NE(read(dir.path() / "e.html").find("The database holds no files"), std::string::npos);
  auto body = rendered_body(dir.path() / "e.html");
  EXPECT_EQ(attribute(body, "data-charts"), "0") << body;
  EXPECT_EQ(attribute(body, "data-errors"), "") << body;
  // Every file failed: the failures are charted, the music is not.
  test::write_file(dir.path() / "bad" / "a.mid", {'n', 'o'});
  test::write_file(dir.path() / "bad" / "b.mid", {});
  const auto bad = dir.path() / "bad.db";
  ASSERT_EQ(test::run_midisift("scan " + quoted(dir.path() / "bad") + " --db " + quoted(bad) + " -q").status, 0);
  ASSERT_EQ(test::run_midisift("report --db " + quoted(bad) + " --out " + quoted(dir.path() / "b.html")).status, 0);
  EXPECT_NE(read(dir.path() / "b.html").find("Every file of this collection failed to read"), std::string::npos);
  body = rendered_body(dir.path() / "b.html");
  EXPECT_EQ(attribute(body, "data-drawn"), "status failures") << body;
  EXPECT_EQ(attribute(body, "data-blank"), "") << body;
  // One file.
  test::write_file(dir.path() / "one" / "a.mid", test::numbered_song(1, 40));
  const auto one = dir.path() / "one.db";
  ASSERT_EQ(test::run_midisift("scan " + quoted(dir.path() / "one") + " --db " + quoted(one) + " -q").status, 0);
  ASSERT_EQ(test::run_midisift("report --db " + quoted(one) + " --out " + quoted(dir.path() / "o.html")).status, 0);
  body = rendered_body(dir.path() / "o.html");
  EXPECT_EQ(attribute(body, "data-blank"), "") << body;
  EXPECT_EQ(attribute(body, "data-errors"), "") << body;
  EXPECT_GE(words(attribute(body, "data-drawn")), 10U) << body;
  // And report, a read command, never creates a database.
  EXPECT_EQ(test::run_midisift("report --db " + quoted(dir.path() / "absent.db") + " --out " +
                               quoted(dir.path() / "x.html"))
                .status,
            1);
  EXPECT_FALSE(fs::exists(dir.path() / "absent.db"));
  EXPECT_FALSE(fs::exists(dir.path() / "x.html"));
}

}  // namespace
}  // namespace midisift::cli
