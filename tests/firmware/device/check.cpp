#include "check.hpp"

namespace fwtest {
namespace {

struct Entry {
  const char* name;
  TestFn fn;
};
constexpr std::size_t kMaxTests = 64;
Entry g_tests[kMaxTests];
std::size_t g_count = 0;
std::uint32_t g_failures_in_test = 0;
bool g_skipped = false;

}  // namespace

void write_number(std::uint64_t n) {
  char buf[24];
  int i = 23;
  buf[i] = '\0';
  do {
    buf[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0 && i > 0);
  write(buf + i);
}

Registrar::Registrar(const char* name, TestFn fn) {
  if (g_count < kMaxTests) g_tests[g_count++] = Entry{name, fn};
}

void fail(const char* expr, const char* file, int line) {
  ++g_failures_in_test;
  write("  FAILED: ");
  write(expr);
  write(" at ");
  write(file);
  write(":");
  write_number(static_cast<std::uint64_t>(line));
  write("\n");
}

void skip(const char* reason) {
  g_skipped = true;
  write("  skipped: ");
  write(reason);
  write("\n");
}

int run_all() {
  int failed = 0;
  for (std::size_t i = 0; i < g_count; ++i) {
    g_failures_in_test = 0;
    g_skipped = false;
    write("[ RUN  ] ");
    write(g_tests[i].name);
    write("\n");
    g_tests[i].fn();
    if (g_failures_in_test > 0) ++failed;
    write(g_failures_in_test > 0 ? "[ FAIL ] " : (g_skipped ? "[ SKIP ] " : "[  OK  ] "));
    write(g_tests[i].name);
    write("\n");
  }
  write_number(g_count);
  write(" firmware tests, ");
  write_number(static_cast<std::uint64_t>(failed));
  write(" failed\n");
  return failed;
}

}  // namespace fwtest
