// Past one machine: `scan --shard I/N` into N databases, `merge` into one, and the cluster examples
// of docs/cluster.md.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collection.hpp"
#include "midisift/db/database.hpp"
#include "run_binary.hpp"
#include "shard.hpp"
#include "temp_dir.hpp"


namespace midisift::cli {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

using test::quoted;

// The collection the sharding tests scan: the real corpus three times over (symbolic links to its
// files, which work across file systems), so that a shard's scan lasts long enough to commit batches
// before it is killed; without the corpus, 6,000 synthetic songs.
fs::path collection(const TempDir& dir) {
  const fs::path corpus = MIDISIFT_CORPUS_DIR;
  auto root = dir.path() / "collection";
  if (!fs::exists(corpus)) {
    std::cout << "no corpus at " << corpus << " (../shared/corpus): 6,000 synthetic songs\n";
    test::make_songs(root, 6000, 100);
    return root;
  }
  for (const char* copy : {"a", "b", "c"}) {
    for (const auto& e : fs::recursive_directory_iterator(corpus)) {
      if (!e.is_regular_file()) continue;
      const auto to = root / copy / fs::relative(e.path(), corpus);
      fs::create_directories(to.parent_path());
      fs::create_symlink(fs::absolute(e.path()), to);
    }
  }
  return root;
}

// Runs `command` in the background; returns its pid.
pid_t spawn(const std::string& command) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + command + " >/dev/null 2>&1").c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}
int wait_for(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::string stats_without_path(const fs::path& db) {
  auto out = test::run_midisift("stats --db " + quoted(db)).out;
  return out.substr(out.find(':'));  // the first line starts with the database's name
}

TEST(Shard, PartsAreDisjointCoverEveryPathAndDependOnlyOnTheRelativePath) {
  for (const std::uint32_t n : {1U, 2U, 4U, 7U, 64U}) {
    std::vector<int> owners(2000, 0);
    std::vector<std::size_t> sizes(n, 0);
    for (std::uint32_t i = 0; i < n; ++i) {
      const Shard s{i, n};
      for (std::size_t k = 0; k < owners.size(); ++k) {
        if (s.owns("d" + std::to_string(k % 37) + "/song_" + std::to_string(k) + ".mid")) {
          ++owners[k];
          ++sizes[i];
        }
      }
    }
    for (const int o : owners) EXPECT_EQ(o, 1) << "every path in exactly one of " << n << " parts";
    for (const auto size : sizes) EXPECT_GT(size, owners.size() / n / 2) << "parts of similar size";
  }
  EXPECT_EQ(Shard::relative("/mnt/a/lmd", "/mnt/a/lmd/x/y.mid"), "x/y.mid");
  EXPECT_EQ(Shard::relative("/data/lmd", "/data/lmd/x/y.mid"), "x/y.mid") << "whatever the mount point";
  EXPECT_EQ(Shard::relative("/data/lmd/x/y.mid", "/data/lmd/x/y.mid"), "y.mid") << "a root that is the file";
  EXPECT_EQ(Shard::relative("/", "/x/y.mid"), "x/y.mid");
  EXPECT_EQ(Shard::parse("3/64")->index, 3U);
  EXPECT_EQ(Shard::parse("3/64")->count, 64U);
  for (const char* bad : {"4/4", "1/0", "x/4", "1/", "/4", "1-4", "1/4/2", "-1/4", " 1/4"}) {
    EXPECT_FALSE(Shard::parse(bad)) << bad;
  }
  const auto r = test::run_midisift("scan x --shard 4/4");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("must be I/N with 0 <= I < N, e.g. 3/64 (got '4/4')"), std::string::npos) << r.out;
}

TEST(Shard, FourShardScansMergeIntoTheUnshardedScanAndAKilledShardOnlyNeedsItsRerun) {
  TempDir dir;
  const auto root = collection(dir);
  const std::string bin = MIDISIFT_BINARY;
  const auto whole = dir.path() / "whole.db";
  ASSERT_EQ(test::run_midisift("scan " + quoted(root) + " --db " + quoted(whole) + " -q").status, 0);

  // Four shard scans as separate processes at once, as four jobs of a scheduler would run.
  std::vector<pid_t> jobs;
  for (int i = 0; i < 4; ++i) {
    const auto db = dir.path() / ("shard-" + std::to_string(i) + ".db");
    jobs.push_back(spawn(bin + " scan " + quoted(root) + " --shard " + std::to_string(i) + "/4 --db " + quoted(db) +
                         " -q -j 1"));
  }
  for (const auto pid : jobs) ASSERT_EQ(wait_for(pid), 0);
  std::set<std::string> seen;
  std::size_t rows = 0;
  std::string shard_list;
  for (int i = 0; i < 4; ++i) {
    const auto db = dir.path() / ("shard-" + std::to_string(i) + ".db");
    shard_list += quoted(db) + " ";
    std::istringstream paths(test::query(db, "SELECT path FROM files"));
    for (std::string p; std::getline(paths, p);) {
      seen.insert(p);
      ++rows;
    }
  }
  EXPECT_EQ(rows, seen.size()) << "shards are disjoint";
  EXPECT_EQ(std::to_string(rows), test::query(whole, "SELECT count(*) FROM files")) << "and cover every file";

  const auto merged = dir.path() / "merged.db";
  const auto m = test::run_midisift("merge " + shard_list + "--into " + quoted(merged));
  ASSERT_EQ(m.status, 0) << m.out;
  EXPECT_EQ(test::snapshot(merged), test::snapshot(whole));
  EXPECT_EQ(stats_without_path(merged), stats_without_path(whole));

  // Merging a shard again changes nothing.
  ASSERT_EQ(test::run_midisift("merge " + quoted(dir.path() / "shard-2.db") + " --into " + quoted(merged)).status, 0);
  EXPECT_EQ(test::snapshot(merged), test::snapshot(whole));

  // Shard 1's job is killed mid-scan: what it committed merges, its rerun completes it.
  const auto s1 = dir.path() / "shard-1.db";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(s1.string() + suffix);
  const pid_t killed = spawn(bin + " scan " + quoted(root) + " --shard 1/4 --db " + quoted(s1) + " -q -j 1");
  // Until its first batch is committed (a transaction lasts at most a second), then kill it.
  const auto committed = [&] {
    const auto n = test::query(s1, "SELECT count(*) FROM files", true);
    return !n.empty() && std::isdigit(static_cast<unsigned char>(n[0])) != 0 ? std::stol(n) : 0L;
  };
  for (int k = 0; k < 2000 && committed() == 0; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(killed, SIGKILL);
  const int status = wait_for(killed);
  std::cout << "shard 1 " << (status == 128 + SIGKILL ? "killed" : "finished before the kill") << " with "
            << test::query(s1, "SELECT count(*) FROM files", true) << " rows\n";
  const auto partial = dir.path() / "partial.db";
  ASSERT_EQ(test::run_midisift("merge " + shard_list + "--into " + quoted(partial)).status, 0);
  EXPECT_EQ(test::query(partial, "PRAGMA integrity_check"), "ok");
  ASSERT_EQ(test::run_midisift("scan " + quoted(root) + " --shard 1/4 --db " + quoted(s1) + " -q").status, 0);
  ASSERT_EQ(test::run_midisift("merge " + quoted(s1) + " --into " + quoted(partial)).status, 0);
  EXPECT_EQ(test::snapshot(partial), test::snapshot(whole));
}

TEST(Shard, MergeRefusesAnotherProgramsDatabaseAndAnotherSchemaVersionAndKeepsGoing) {
  TempDir dir;
  test::make_songs(dir.path() / "songs", 12, 20);
  const auto good = dir.path() / "good.db";
  ASSERT_EQ(test::run_midisift("scan " + quoted(dir.path() / "songs") + " --db " + quoted(good) + " -q").status, 0);
  const auto other = dir.path() / "other.db";  // another program's, with a table named files too
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TABLE files (path TEXT)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  const auto old = dir.path() / "old.db";
  fs::copy_file(good, old);
  (void)test::query(old, "PRAGMA user_version = 4", true);
  const auto into = dir.path() / "into.db";
  const auto r = test::run_midisift("merge " + quoted(other) + " " + quoted(old) + " " + quoted(dir.path() / "none.db") +
                                    " " + quoted(good) + " --into " + quoted(into));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("other.db is not a midisift database"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("old.db has schema version 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no database"), std::string::npos) << r.out;
  EXPECT_EQ(test::snapshot(into), test::snapshot(good)) << "the good database is merged all the same";
}

// The examples of docs/cluster.md are files a user copies: each passes its language's checker.
TEST(Shard, ClusterExamplesAreWellFormed) {
  const fs::path docs = fs::path(MIDISIFT_SOURCE_DIR) / "docs" / "cluster";
  for (const char* script : {"slurm-array.sbatch", "gnu-parallel.sh", "merge.sh"}) {
    const auto r = test::run_shell("bash -n " + quoted(docs / script) + " && echo syntax-ok");
    EXPECT_NE(r.find("syntax-ok"), std::string::npos) << script << ": " << r;
  }
  const auto sbatch = test::run_shell("grep -c -e '--array=0-63' -e SLURM_ARRAY_TASK_ID -e '--shard' " +
                                      quoted(docs / "slurm-array.sbatch"));
  EXPECT_EQ(std::stoi(sbatch), 3) << "an array job that scans the shard of its task id";
  if (test::run_shell("python3 -c 'import yaml' && echo yes").find("yes") == std::string::npos) {
    GTEST_SKIP() << "no PyYAML (Debian python3-yaml) to check the Kubernetes Job";
  }
  const auto y = test::run_shell(
      "python3 -c 'import sys, yaml; j = yaml.safe_load(open(sys.argv[1])); s = j[\"spec\"]; "
      "c = s[\"template\"][\"spec\"][\"containers\"][0]; "
      "print(j[\"kind\"], s[\"completionMode\"], s[\"completions\"], \"JOB_COMPLETION_INDEX\" in \" \".join(c[\"args\"]))' " +
      quoted(docs / "k8s-indexed-job.yaml"));
  EXPECT_EQ(y, "Job Indexed 64 True\n");
}

}  // namespace
}  // namespace midisift::cli
