// Runs the real `midisift` executable (MIDISIFT_BINARY) through the shell, stdout and stderr merged.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace midisift::test {

struct Run {
  int status;  ///< exit status, -1 when killed by a signal
  std::string out;
};

// `p` in single quotes, for a shell command line.
inline std::string quoted(const std::filesystem::path& p) {
  std::string q = "'";  // built with += : GCC 12 warns falsely on chained operator+
  q += p.string();
  q += '\'';
  return q;
}

// Output (stdout and stderr) of a shell command line.
inline std::string run_shell(const std::string& command) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  std::string out;
  if (p == nullptr) return "popen failed";
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  (void)::pclose(p);
  return out;
}

inline Run run_midisift(const std::string& args) {
  const std::string cmd = std::string(MIDISIFT_BINARY) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  if (p == nullptr) return {-1, "popen failed"};
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = ::pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

}  // namespace midisift::test
