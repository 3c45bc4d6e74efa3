#include <gtest/gtest.h>

#include <vector>

#include "midisift/parse/arena.hpp"
#include "midisift/parse/smf.hpp"
#include "smf_builder.hpp"

namespace midisift::parse {
namespace {

TEST(Arena, ReusesItsBufferWithoutGoingUpstream) {
  Arena arena(4096);
  for (int round = 0; round < 10; ++round) {
    std::pmr::vector<int> v(&arena);
    v.reserve(500);  // 2,000 bytes: fits the 4 KiB buffer
    v.push_back(round);
    EXPECT_EQ(v[0], round);
    v = std::pmr::vector<int>(&arena);
    arena.reset();
  }
  EXPECT_EQ(arena.upstream_allocations(), 0U);
}

TEST(Arena, GrowsItsBufferAfterAFileThatSpilled) {
  Arena arena(1024, 1 << 20);
  {
    std::pmr::vector<char> v(&arena);
    v.reserve(8000);
  }
  EXPECT_GE(arena.upstream_allocations(), 1U);
  arena.reset();
  EXPECT_GE(arena.capacity(), 8000U);
  const auto before = arena.upstream_allocations();
  {
    std::pmr::vector<char> v(&arena);
    v.reserve(8000);
  }
  arena.reset();
  EXPECT_EQ(arena.upstream_allocations(), before) << "the second file of that size stays in the buffer";
}

TEST(Arena, SteadyStateParsingMakesNoUpstreamAllocation) {
  using namespace midisift::test;
  Bytes body;
  for (int i = 0; i < 2000; ++i) append(body, {0x00, 0x90, 0x3C, 0x40, 0x10, 0x80, 0x3C, 0x00});
  append(body, kEot);
  const Bytes file = cat({mthd(1, 1, 96), mtrk(body)});
  Arena arena(4096);
  for (int i = 0; i < 3; ++i) {
    { const Smf smf = parse(as_bytes(file), &arena); }
    arena.reset();
  }
  const auto warm = arena.upstream_allocations();
  for (int i = 0; i < 20; ++i) {
    {
      const Smf smf = parse(as_bytes(file), &arena);
      ASSERT_EQ(smf.event_count(), 4001U);
    }
    arena.reset();
  }
  EXPECT_EQ(arena.upstream_allocations(), warm);
}

TEST(CountingResource, CountsAllocationsAndPeak) {
  CountingResource counting;
  void* a = counting.allocate(100);
  void* b = counting.allocate(50);
  counting.deallocate(a, 100);
  counting.deallocate(b, 50);
  EXPECT_EQ(counting.allocations(), 2U);
  EXPECT_EQ(counting.bytes_allocated(), 150U);
  EXPECT_EQ(counting.peak_bytes_in_use(), 150U);
  EXPECT_EQ(counting.bytes_in_use(), 0U);
}

}  // namespace
}  // namespace midisift::parse
