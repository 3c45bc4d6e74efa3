// The real `midisift` executable under the conditions of a long scan: signals, kill -9, terminals
// and logs, full and read-only disks, unreadable entries, odd names. Each test runs the binary as
// a child process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <map>
#include <fstream>
#include <iterator>
#include <algorithm>
#include <vector>

#include "collection.hpp"
#include "temp_dir.hpp"

namespace midisift::cli {
namespace {

namespace fs = std::filesystem;
using namespace midisift::test;
using namespace std::chrono_literals;

// A running midisift whose stdout and stderr come back through one pipe (or a pseudo-terminal).
class Child {
 public:
  // `prefix`: words run before the binary (e.g. setpriv to drop root). `tty`: stdout and stderr
  // are a pseudo-terminal, as in an interactive shell. `binary`: the midisift to run. When the
  // process cannot be started (no terminal, no fork), wait() returns -1 at once.
  explicit Child(const std::vector<std::string>& args, bool tty = false, const std::vector<std::string>& prefix = {},
                 const std::string& binary = MIDISIFT_BINARY) {
    std::vector<std::string> argv = prefix;
    argv.push_back(binary);
    argv.insert(argv.end(), args.begin(), args.end());
    if (tty) {
      pid_ = ::forkpty(&fd_, nullptr, nullptr, nullptr);
      if (pid_ == 0) exec(argv);
      if (pid_ < 0) fd_ = -1;
    } else {
      int p[2];
      EXPECT_EQ(::pipe(p), 0);
      pid_ = ::fork();
      if (pid_ == 0) {
        ::dup2(p[1], 1);
        ::dup2(p[1], 2);
        ::close(p[0]);
        ::close(p[1]);
        exec(argv);
      }
      ::close(p[1]);
      fd_ = p[0];
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
    if (fd_ >= 0) ::close(fd_);
  }

  // Reads output until `needle` appears or `timeout` passes; true if it appeared.
  bool read_until(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out_.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) return false;
    }
    return true;
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  // Waits for the exit; the exit status, or 128 + the signal that ended it (as a shell says).
  int wait() {
    if (pid_ <= 0) return -1;
    while (read_some(-1)) {
    }
    int st = 0;
    ::waitpid(pid_, &st, 0);
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return status_;
  }
  [[nodiscard]] const std::string& out() const { return out_; }

 private:
  [[noreturn]] static void exec(const std::vector<std::string>& argv) {
    std::vector<char*> a;
    a.reserve(argv.size() + 1);
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    std::perror("exec");
    ::_exit(127);
  }
  bool read_some(int timeout_ms) {
    if (fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return false;  // EOF (or EIO when a pty's child has exited)
    out_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  pid_t pid_ = -1;
  int fd_ = -1;
  int status_ = -1;
  std::string out_;
};

// The decimal number right after (or right before) the first `phrase` in `text`; -1 if none.
// (Plain parsing: GCC 12 warns falsely inside <regex> under the sanitizers.)
long long number_after(const std::string& text, const std::string& phrase) {
  const auto at = text.find(phrase);
  if (at == std::string::npos) return -1;
  std::size_t i = at + phrase.size(), j = i;
  while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) != 0) ++j;
  return j > i ? std::stoll(text.substr(i, j - i)) : -1;
}
long long number_before(const std::string& text, const std::string& phrase) {
  const auto at = text.find(phrase);
  if (at == std::string::npos) return -1;
  std::size_t i = at;
  while (i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1])) != 0) --i;
  return i < at ? std::stoll(text.substr(i, at - i)) : -1;
}

// Tests that need permissions to bite run midisift as `nobody` (setpriv, util-linux) when the
// suite runs as root; otherwise as the current user. `nobody` may not be able to read anything of
// the checkout (a clone under /root, mode 700): it runs a copy of the binary from a world-readable
// temporary folder, and a sanitizer's suppressions file named in TSAN_OPTIONS is copied there too
// (the TSan runtime exits 66 when it cannot read it).
class Unprivileged {
 public:
  static const Unprivileged& get() {
    static const Unprivileged u;
    return u;
  }
  const std::vector<std::string>& prefix() const { return prefix_; }
  const std::string& binary() const { return binary_; }

 private:
  Unprivileged() {
    if (::geteuid() != 0) return;
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
    const auto copy = dir_.path() / "midisift";
    fs::copy_file(MIDISIFT_BINARY, copy);
    binary_ = copy.string();
    prefix_ = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    const char* tsan = std::getenv("TSAN_OPTIONS");
    if (tsan == nullptr) return;
    // TSAN_OPTIONS is a list of name=value separated by ':' (or spaces).
    std::string options = tsan;
    const std::string key = "suppressions=";
    const auto at = options.find(key);
    if (at == std::string::npos) return;
    const auto from = at + key.size();
    const auto to = std::min(options.find(':', from), options.find(' ', from));
    const auto supp = dir_.path() / "tsan.supp";
    fs::copy_file(options.substr(from, to == std::string::npos ? std::string::npos : to - from), supp);
    options.replace(from, to == std::string::npos ? std::string::npos : to - from, supp.string());
    prefix_.insert(prefix_.end(), {"env", "TSAN_OPTIONS=" + options});
  }
  TempDir dir_;
  std::vector<std::string> prefix_;
  std::string binary_ = MIDISIFT_BINARY;
};

// `midisift args...` as the unprivileged user (see Unprivileged).
Child unprivileged(const std::vector<std::string>& args) {
  const auto& u = Unprivileged::get();
  return Child(args, false, u.prefix(), u.binary());
}

// Whether this machine can give a test a pseudo-terminal (a minimal root may lack /dev/pts).
bool have_terminal() {
  int leader = -1, follower = -1;
  if (::openpty(&leader, &follower, nullptr, nullptr, nullptr) != 0) return false;
  ::close(leader);
  ::close(follower);
  return true;
}

// One synthetic collection of 3,000 songs for the whole suite, and the database an uninterrupted
// scan makes of it: the reference every interrupted scan must end up equal to.
class LongScan : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    make_songs(root(), kSongs, 150);
    Child c({"scan", root().string(), "--db", reference().string(), "-q"});
    ASSERT_EQ(c.wait(), 0) << c.out();
    reference_snapshot_ = new std::string(snapshot(reference()));
  }
  static void TearDownTestSuite() {
    delete reference_snapshot_;
    delete dir_;
  }
  static fs::path root() { return dir_->path() / "songs"; }
  static fs::path reference() { return dir_->path() / "reference.db"; }
  static constexpr int kSongs = 3000;
  static TempDir* dir_;
  static std::string* reference_snapshot_;
};
TempDir* LongScan::dir_ = nullptr;
std::string* LongScan::reference_snapshot_ = nullptr;

TEST_F(LongScan, SigintCommitsFinishedWorkExitsWith130AndTheNextScanFinishes) {
  TempDir dir;
  const auto db = dir.path() / "x.db";
  for (const int sig : {SIGINT, SIGTERM}) {
    fs::remove(db);
    Child c({"scan", root().string(), "--db", db.string(), "-j", "1", "--progress-interval", "0.05"});
    ASSERT_TRUE(c.read_until("midisift: progress", 20s)) << c.out();
    c.signal(sig);
    ASSERT_EQ(c.wait(), 130) << c.out();
    EXPECT_NE(c.out().find("midisift: interrupted;"), std::string::npos) << c.out();
    EXPECT_NE(c.out().find("Run the same command again to continue"), std::string::npos) << c.out();
    EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
    const int stored = std::stoi(query(db, "SELECT count(*) FROM files"));
    // The summary line says how many files this run analyzed: all of them are in the database.
    EXPECT_EQ(number_after(c.out(), "files "), stored) << c.out();
    EXPECT_GT(stored, 0);
    EXPECT_LT(stored, kSongs) << "the signal came after the scan had finished: make the collection larger";
    Child again({"scan", root().string(), "--db", db.string()});
    ASSERT_EQ(again.wait(), 0) << again.out();
    EXPECT_NE(again.out().find("unchanged " + std::to_string(stored)), std::string::npos) << again.out();
    EXPECT_EQ(snapshot(db), *reference_snapshot_);
  }
}

// Lines of `text` as a set.
std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

// The seed of a test's random choices: MIDISIFT_TEST_SEED when set (to replay a run), else a fresh
// one. Tests print it.
unsigned test_seed() {
  if (const char* s = std::getenv("MIDISIFT_TEST_SEED")) return static_cast<unsigned>(std::stoul(s));
  return std::random_device{}();
}

TEST_F(LongScan, KillNineAtRandomPointsNeverLosesAFinishedRowAndTheNextScanCompletes) {
  // Scans killed with SIGKILL at random moments until 30 kills have landed mid-scan: from an empty
  // database, continuing a killed scan, and --rescan over complete rows (so a kill can land while
  // rows are being replaced). After each kill the database is intact, it holds at least the rows it
  // held before the kill (a finished row is never lost), and every row it holds equals the
  // uninterrupted scan's. The last scan, not killed, leaves exactly what the uninterrupted scan
  // stored. A scan that finishes before its kill point proves nothing and is not counted; the kill
  // points of a continued scan are drawn over the part of the work it has left, so most land.
  const unsigned seed = test_seed();
  std::cout << "kill points from seed " << seed << " (MIDISIFT_TEST_SEED=" << seed << " replays them)\n";
  std::mt19937 rng(seed);
  TempDir dir;
  const auto db = dir.path() / "x.db";
  const auto finished = lines_of(file_rows(reference()));
  // How long a whole scan takes here and now: kill points are drawn in its first 80 %.
  const auto t0 = std::chrono::steady_clock::now();
  {
    Child timing({"scan", root().string(), "--db", (dir.path() / "timing.db").string(), "-j", "2", "-q"});
    ASSERT_EQ(timing.wait(), 0) << timing.out();
  }
  const auto full_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  constexpr int kMidScanKills = 30;
  constexpr int kMaxScans = 60;
  int scans = 0;
  int killed_mid_scan = 0;
  std::size_t rows_before = 0;
  std::string rows_after_kills;
  for (; killed_mid_scan < kMidScanKills && scans < kMaxScans; ++scans) {
    std::vector<std::string> args{"scan", root().string(), "--db", db.string(), "-j", "2", "-q"};
    long work_ms = full_ms.count();
    if (scans % 3 == 0) {
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
      rows_before = 0;
    } else if (scans % 3 == 2) {
      args.emplace_back("--rescan");
    } else {
      work_ms = work_ms * static_cast<long>(kSongs - std::min<std::size_t>(rows_before, kSongs)) / kSongs;
    }
    const auto delay = std::chrono::milliseconds(
        std::uniform_int_distribution<long>(0, std::max<long>(20, work_ms * 8 / 10))(rng));
    Child c(args);
    std::this_thread::sleep_for(delay);
    c.signal(SIGKILL);
    const int status = c.wait();
    if (status == 128 + SIGKILL) ++killed_mid_scan;
    const std::string at = "scan " + std::to_string(scans) + " killed at " + std::to_string(delay.count()) + " ms";
    ASSERT_TRUE(status == 128 + SIGKILL || status == 0) << at << ": " << c.out();
    if (!fs::exists(db)) continue;  // killed before it made the database
    // Read-write, as the next scan opens it: a read-only connection cannot replay the WAL of a
    // writer killed an instant after creating the database ("attempt to write a readonly database").
    ASSERT_EQ(query(db, "PRAGMA integrity_check", /*read_write=*/true), "ok") << at;
    if (query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'files'") == "0") continue;  // before the schema
    const auto rows = lines_of(file_rows(db));
    EXPECT_GE(rows.size(), rows_before) << at << ": a committed row was lost";
    for (const auto& row : rows) {
      ASSERT_TRUE(finished.contains(row)) << at << ": a row that no finished scan stores:\n" << row;
    }
    rows_before = rows.size();
    rows_after_kills += ' ';
    rows_after_kills += std::to_string(rows.size());
  }
  std::cout << killed_mid_scan << " of " << scans << " scans killed mid-scan (a whole scan: " << full_ms.count()
            << " ms); rows after each kill:" << rows_after_kills << "\n";
  EXPECT_EQ(killed_mid_scan, kMidScanKills) << "kills must land while the scan runs (a whole scan took "
                                            << full_ms.count() << " ms)";
  Child last({"scan", root().string(), "--db", db.string()});
  ASSERT_EQ(last.wait(), 0) << last.out();
  EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(snapshot(db), *reference_snapshot_);
}

TEST_F(LongScan, PlainProgressLinesWhenStderrIsNotATerminal) {
  TempDir dir;
  Child c({"scan", root().string(), "--db", (dir.path() / "x.db").string(), "-j", "1", "--progress-interval", "0.05"});
  ASSERT_EQ(c.wait(), 0) << c.out();
  int lines = 0;
  std::istringstream in(c.out());
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("midisift: progress ")) continue;
    ++lines;
    EXPECT_GE(number_after(line, "midisift: progress "), 0) << line;
    for (const char* part : {" files, ", " MB/s, ", " files/s, ETA ", ", 0 failed"}) {
      EXPECT_NE(line.find(part), std::string::npos) << part << " in: " << line;
    }
  }
  EXPECT_GE(lines, 2) << c.out();
  EXPECT_EQ(c.out().find('\r'), std::string::npos) << "no carriage returns in a log";
  EXPECT_NE(c.out().find("/3000 files"), std::string::npos) << "the total, once counted: " << c.out();
}

TEST_F(LongScan, ProgressBarOnATerminal) {
  if (!have_terminal()) GTEST_SKIP() << "no pseudo-terminal here (openpty failed: is /dev/pts mounted?)";
  TempDir dir;
  Child c({"scan", root().string(), "--db", (dir.path() / "x.db").string(), "-j", "1", "--progress-interval", "0.02"},
          /*tty=*/true);
  ASSERT_EQ(c.wait(), 0) << c.out();
  // A redrawn bar: "\r[#####...] 45% 1350/3000 files  12.3 MB/s  6789 files/s  ETA 0:01  failed 0\033[K"
  const auto bar = c.out().find("/3000 files  ");
  ASSERT_NE(bar, std::string::npos) << c.out();
  const auto start = c.out().rfind("\r[", bar);
  ASSERT_NE(start, std::string::npos) << c.out();
  const std::string line = c.out().substr(start, c.out().find('\033', bar) - start);
  EXPECT_NE(line.find("] "), std::string::npos) << line;
  EXPECT_NE(line.find("% "), std::string::npos) << line;
  for (const char* part : {" MB/s  ", " files/s  ETA ", "  failed 0"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in: " << line;
  }
  EXPECT_NE(c.out().find("files 3000, ok 3000"), std::string::npos) << c.out();
}

TEST_F(LongScan, QuietPrintsNothing) {
  TempDir dir;
  Child c({"scan", root().string(), "--db", (dir.path() / "x.db").string(), "-q", "--progress-interval", "0.05"});
  ASSERT_EQ(c.wait(), 0);
  EXPECT_EQ(c.out(), "");
}

TEST_F(LongScan, AFullDiskStopsTheScanClearlyAndKeepsCommittedWork) {
  TempDir dir;
  const auto db = dir.path() / "x.db";
  // RLIMIT_FSIZE makes writes past 1 MB fail with EFBIG, as a full disk fails them with ENOSPC
  // (SIGXFSZ ignored, so the write returns the error instead of killing the process).
  const std::string cmd = "trap '' XFSZ; ulimit -f 2048; exec \"$@\"";
  Child c({"scan", root().string(), "--db", db.string(), "-j", "2", "-q"}, false, {"/bin/sh", "-c", cmd, "sh"});
  ASSERT_EQ(c.wait(), 1) << c.out();
  EXPECT_NE(c.out().find(db.string()), std::string::npos) << c.out();
  EXPECT_NE(c.out().find("scan stopped; fix the cause (disk space)"), std::string::npos) << c.out();
  EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
  const long long committed = number_before(c.out(), " records committed before it are kept");
  ASSERT_GE(committed, 0) << c.out();
  EXPECT_EQ(query(db, "SELECT count(*) FROM files"), std::to_string(committed));
  EXPECT_LT(committed, kSongs);
  Child resume({"scan", root().string(), "--db", db.string(), "-q"});
  ASSERT_EQ(resume.wait(), 0) << resume.out();
  EXPECT_EQ(snapshot(db), *reference_snapshot_);
}

// The words that run a command in a private mount namespace, where it may mount a tmpfs: as root,
// `unshare --mount`; otherwise as root of a new user namespace. Empty when this machine allows
// neither (the test that needs it then says so and is skipped).
std::vector<std::string> mount_namespace(const fs::path& probe_dir) {
  std::vector<std::vector<std::string>> candidates;
  if (::geteuid() == 0) candidates.push_back({"unshare", "--mount", "--propagation", "private"});
  candidates.push_back({"unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"});
  for (const auto& words : candidates) {
    std::string cmd;
    for (const auto& w : words) cmd += w + ' ';
    cmd += R"(sh -c 'mount -t tmpfs -o size=64k tmpfs "$0"' ')" + probe_dir.string() + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return words;
  }
  return {};
}

TEST_F(LongScan, ADatabaseOnASmallTmpfsThatFillsUpStopsTheScanClearlyAndKeepsCommittedWork) {
  // The database on a tmpfs as large as the finished database (in a private mount namespace, so
  // nothing is left mounted whatever happens): with the write-ahead log beside it, SQLite meets
  // ENOSPC mid-scan, after the first batch is committed. Afterwards the
  // database (copied out of the namespace) is intact, holds exactly the records the message says
  // were committed, and a scan on a roomier disk completes it.
  TempDir dir;
  const auto disk = dir.path() / "disk";
  const auto saved = dir.path() / "saved";
  fs::create_directories(disk);
  fs::create_directories(saved);
  const auto ns = mount_namespace(disk);
  if (ns.empty()) GTEST_SKIP() << "no mount namespace here (unshare --mount): cannot mount a small tmpfs";
  const auto size = std::max<std::uintmax_t>(std::uintmax_t{256} * 1024, fs::file_size(reference()));
  std::vector<std::string> prefix = ns;
  const std::string script =
      "disk=$1; saved=$2; shift 2; mount -t tmpfs -o size=" + std::to_string(size) +
      R"( tmpfs "$disk" || exit 125; "$@"; rc=$?; cp -a "$disk"/. "$saved"/; exit $rc)";
  for (const auto& w : {std::string("/bin/sh"), std::string("-c"), script, std::string("sh"), disk.string(),
                        saved.string()}) {
    prefix.push_back(w);
  }
  Child c({"scan", root().string(), "--db", (disk / "x.db").string(), "-j", "2", "-q"}, false, prefix);
  ASSERT_EQ(c.wait(), 1) << c.out();
  EXPECT_NE(c.out().find((disk / "x.db").string()), std::string::npos) << c.out();
  EXPECT_NE(c.out().find("full"), std::string::npos) << "SQLite says the disk is full: " << c.out();
  EXPECT_NE(c.out().find("scan stopped; fix the cause (disk space)"), std::string::npos) << c.out();
  const auto db = saved / "x.db";
  ASSERT_TRUE(fs::exists(db)) << c.out();
  EXPECT_EQ(query(db, "PRAGMA integrity_check", /*read_write=*/true), "ok");
  const long long committed = number_before(c.out(), " records committed before it are kept");
  ASSERT_GE(committed, 0) << c.out();
  EXPECT_EQ(query(db, "SELECT count(*) FROM files"), std::to_string(committed));
  EXPECT_LT(committed, kSongs) << "the tmpfs did not fill up";
  std::cout << "tmpfs of " << size << " bytes full after " << committed << " of " << kSongs << " records\n";
  Child resume({"scan", root().string(), "--db", db.string(), "-q"});
  ASSERT_EQ(resume.wait(), 0) << resume.out();
  EXPECT_EQ(snapshot(db), *reference_snapshot_);
}

TEST(Process, FilesMadeUnreadableOrDeletedDuringAScanAreEachAccountedFor) {
  // While `midisift scan` (as an unprivileged user) runs over 2,000 songs, a third of the files lose
  // their read permission and a third are deleted, from the end of the walk backwards. Every row
  // the scan writes is then either the finished analysis of that file or, for a file made
  // unreadable, an io_error failure ("Permission denied"); a deleted file has no row or the row of
  // its analysis before it went; every file left readable has its row. Once the files are back (same
  // bytes, same modification time) and readable, the next scan stores what an undisturbed scan does.
  constexpr std::uint32_t kFiles = 2000;
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::all);
  const auto c = dir.path() / "c";
  make_songs(c, kFiles, 60);
  const auto reference_db = dir.path() / "reference.db";
  {
    Child ref({"scan", c.string(), "--db", reference_db.string(), "-q"});
    ASSERT_EQ(ref.wait(), 0) << ref.out();
  }
  const std::string expected = snapshot(reference_db);
  const auto finished = lines_of(file_rows(reference_db));
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(c)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.rbegin(), files.rend());  // the walk goes in name order: disturb it from the end
  struct Saved {
    std::string bytes;
    fs::file_time_type mtime;
  };
  std::map<fs::path, Saved> deleted;
  std::set<fs::path> locked;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (i % 3 == 0) locked.insert(files[i]);
    if (i % 3 == 1) {
      std::ifstream in(files[i], std::ios::binary);
      deleted[files[i]] = {std::string(std::istreambuf_iterator<char>(in), {}), fs::last_write_time(files[i])};
    }
  }
  fs::create_directories(dir.path() / "db");
  fs::permissions(dir.path() / "db", fs::perms::all);
  const auto db = dir.path() / "db" / "x.db";
  Child scan = unprivileged({"scan", c.string(), "--db", db.string(), "-j", "2", "--progress-interval", "0.02"});
  ASSERT_TRUE(scan.read_until("midisift: progress", 20s)) << scan.out();
  for (const auto& f : files) {
    if (locked.contains(f)) fs::permissions(f, fs::perms::none);
    if (deleted.contains(f)) fs::remove(f);
  }
  ASSERT_EQ(scan.wait(), 0) << scan.out();
  EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
  const long long stored = number_after(scan.out(), "files ");
  EXPECT_EQ(query(db, "SELECT count(*) FROM files"), std::to_string(stored)) << scan.out();
  EXPECT_EQ(query(db, "SELECT count(DISTINCT path) FROM files"), std::to_string(stored));
  int failed = 0;
  std::set<std::string> with_row;
  for (const auto& line : lines_of(query(db, "SELECT path, status, error_code, error FROM files"))) {
    const std::string path = line.substr(0, line.find('|'));
    with_row.insert(path);
    if (line.find("|failed|") != std::string::npos) {
      ++failed;
      EXPECT_TRUE(locked.contains(path)) << "only a file made unreadable fails: " << line;
      EXPECT_EQ(line, path + "|failed|io_error|Permission denied");
    }
  }
  for (const auto& row : lines_of(file_rows(db))) {
    if (row.find("|failed|") == std::string::npos) {
      EXPECT_TRUE(finished.contains(row)) << "an analyzed row is the finished analysis: " << row;
    }
  }
  for (const auto& f : files) {
    if (!deleted.contains(f)) {
      EXPECT_TRUE(with_row.contains(f.string())) << "no row for " << f;
    }
  }
  EXPECT_GT(failed, 0) << "no file was made unreadable before the scan reached it: " << scan.out();
  EXPECT_LT(with_row.size(), files.size()) << "no file was deleted before the scan reached it";
  std::cout << stored << " rows (" << failed << " unreadable) for " << files.size() << " files, "
            << files.size() - with_row.size() << " deleted before they were read\n";
  if (stored < static_cast<long long>(files.size())) {
    EXPECT_NE(scan.out().find("vanished during the scan"), std::string::npos) << scan.out();
  }

  for (const auto& f : locked) fs::permissions(f, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  for (const auto& [f, saved] : deleted) {
    std::ofstream(f, std::ios::binary) << saved.bytes;
    fs::last_write_time(f, saved.mtime);
  }
  Child again = unprivileged({"scan", c.string(), "--db", db.string(), "-q"});
  ASSERT_EQ(again.wait(), 0) << again.out();
  EXPECT_EQ(snapshot(db), expected);
}

TEST(Process, AReadOnlyDatabaseIsAClearErrorAndIsLeftAsItWas) {
  TempDir dir;
  write_file(dir.path() / "c" / "a.mid", numbered_song(1, 10));
  const auto db = dir.path() / "ro" / "x.db";
  fs::create_directories(db.parent_path());
  {
    Child c({"scan", (dir.path() / "c").string(), "--db", db.string(), "-q"});
    ASSERT_EQ(c.wait(), 0) << c.out();
  }
  write_file(dir.path() / "c" / "b.mid", numbered_song(2, 10));
  fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(db.parent_path(), fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                        fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  Child c = unprivileged({"scan", (dir.path() / "c").string(), "--db", db.string(), "-q"});
  EXPECT_EQ(c.wait(), 1) << c.out();
  EXPECT_NE(c.out().find(db.string()), std::string::npos) << c.out();
  EXPECT_TRUE(c.out().find("readonly") != std::string::npos || c.out().find("unable to open") != std::string::npos)
      << c.out();
  fs::permissions(db.parent_path(), fs::perms::owner_all);
  EXPECT_EQ(query(db, "SELECT count(*) FROM files"), "1");
  EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
}

TEST(Process, UnreadableFilesAndFoldersAreReportedAndTheRestIsScanned) {
  TempDir dir;
  const auto c = dir.path() / "c";
  write_file(c / "ok.mid", numbered_song(1, 10));
  write_file(c / "secret.mid", numbered_song(2, 10));
  write_file(c / "locked" / "inside.mid", numbered_song(3, 10));
  fs::permissions(c / "secret.mid", fs::perms::none);
  fs::permissions(c / "locked", fs::perms::none);
  // The database folder must be writable by the unprivileged user.
  fs::create_directories(dir.path() / "db");
  fs::permissions(dir.path() / "db", fs::perms::all);
  fs::permissions(dir.path(), fs::perms::all);
  const auto db = dir.path() / "db" / "x.db";
  Child s = unprivileged({"scan", c.string(), "--db", db.string()});
  EXPECT_EQ(s.wait(), 1) << "an unreadable folder makes the exit status 1: " << s.out();
  EXPECT_NE(s.out().find("locked: cannot read folder: Permission denied"), std::string::npos) << s.out();
  fs::permissions(c / "locked", fs::perms::owner_all);
  EXPECT_EQ(query(db, "SELECT path, status, error_code, error FROM files ORDER BY path"),
            (c / "ok.mid").string() + "|ok|NULL|NULL\n" + (c / "secret.mid").string() +
                "|failed|io_error|Permission denied");
}

TEST(Process, AFileUnreadableInOneScanIsReadAgainOnceItIsReadable) {
  // Fixing a file's permissions does not change its modification time: the failed row of an
  // unreadable file must not pass for an unchanged analysis.
  TempDir dir;
  const auto c = dir.path() / "c";
  write_file(c / "a.mid", numbered_song(1, 10));
  fs::permissions(c / "a.mid", fs::perms::none);
  fs::create_directories(dir.path() / "db");
  fs::permissions(dir.path() / "db", fs::perms::all);
  fs::permissions(dir.path(), fs::perms::all);
  const auto db = dir.path() / "db" / "x.db";
  Child first = unprivileged({"scan", c.string(), "--db", db.string(), "-q"});
  ASSERT_EQ(first.wait(), 0) << first.out();
  ASSERT_EQ(query(db, "SELECT status, error_code FROM files"), "failed|io_error");
  fs::permissions(c / "a.mid", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  Child second = unprivileged({"scan", c.string(), "--db", db.string()});
  ASSERT_EQ(second.wait(), 0) << second.out();
  EXPECT_NE(second.out().find("files 1, ok 1"), std::string::npos) << second.out();
  EXPECT_EQ(query(db, "SELECT status, error_code FROM files"), "ok|NULL");
}

TEST(Process, SymlinkLoopsNonUtf8NamesAndFifosAreScannedWithoutHanging) {
  TempDir dir;
  const auto c = dir.path() / "c";
  write_file(c / "caf\xe9.mid", numbered_song(1, 10));  // Latin-1 e-acute: not UTF-8
  fs::create_directory_symlink(c, c / "loop");          // c/loop -> c
  fs::create_symlink(c / "self.mid", c / "self.mid");   // a link to itself
  ASSERT_EQ(::mkfifo((c / "pipe.mid").c_str(), 0600), 0);
  const auto db = dir.path() / "x.db";
  Child s({"scan", c.string(), "--db", db.string()});
  ASSERT_EQ(s.wait(), 0) << s.out();
  EXPECT_EQ(query(db, "SELECT hex(substr(path, -8)), status, error_code FROM files ORDER BY path"),
            "636166E92E6D6964|ok|NULL\n"          // "caf\xe9.mid", bytes kept as they are
            "706970652E6D6964|failed|not_a_file\n"  // "pipe.mid"
            "73656C662E6D6964|failed|io_error");     // "self.mid"
  EXPECT_EQ(query(db, "SELECT error FROM files WHERE path LIKE '%self.mid'"), "Too many levels of symbolic links");
}

TEST(Process, StatsAndDupesReadTheDatabase) {
  TempDir dir;
  const auto c = dir.path() / "c";
  write_file(c / "a.mid", numbered_song(1, 40));
  write_file(c / "copy_of_a.mid", numbered_song(1, 40));
  write_file(c / "b.mid", numbered_song(2, 40));
  write_file(c / "bad.mid", {'n', 'o', 'p', 'e'});
  const auto db = dir.path() / "x.db";
  Child s({"scan", c.string(), "--db", db.string(), "-q"});
  ASSERT_EQ(s.wait(), 0) << s.out();

  Child stats({"stats", "--db", db.string()});
  ASSERT_EQ(stats.wait(), 0) << stats.out();
  EXPECT_NE(stats.out().find(": 4 files ("), std::string::npos) << stats.out();
  EXPECT_NE(stats.out().find("status: ok 3, failed 1"), std::string::npos) << stats.out();
  EXPECT_NE(stats.out().find("format: 1 3, none 1"), std::string::npos) << stats.out();
  EXPECT_NE(stats.out().find("duplicates: 1 groups of byte-identical files (1 redundant copies)"), std::string::npos)
      << stats.out();
  EXPECT_NE(stats.out().find("failures: not_midi 1"), std::string::npos) << stats.out();

  Child dupes({"dupes", "--db", db.string(), "--json"});
  ASSERT_EQ(dupes.wait(), 0) << dupes.out();
  const auto j = nlohmann::json::parse(dupes.out());
  EXPECT_EQ(j["kind"], "bytes");
  ASSERT_EQ(j["files"].size(), 2U);
  EXPECT_EQ(j["files"][0]["path"], (c / "a.mid").string());
  EXPECT_EQ(j["files"][1]["path"], (c / "copy_of_a.mid").string());

  Child none({"stats", "--db", (dir.path() / "nothing.db").string()});
  EXPECT_EQ(none.wait(), 1);
  EXPECT_NE(none.out().find("no database"), std::string::npos) << none.out();
  EXPECT_FALSE(fs::exists(dir.path() / "nothing.db")) << "stats never creates a database";
}

}  // namespace
}  // namespace midisift::cli
