#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "midisift/clip/event.hpp"
#include "midisift/clip/event_buffer.hpp"

namespace midisift::clip {
namespace {

std::vector<std::uint8_t> pack(const std::vector<Event>& events) {
  std::vector<std::uint8_t> out(events.size() * kEventSize);
  for (std::size_t i = 0; i < events.size(); ++i) encode(events[i], out.data() + i * kEventSize);
  return out;
}

TEST(ClipEvent, EncodesLittleEndianSevenBytes) {
  std::array<std::uint8_t, kEventSize> b{};
  encode(Event{0x01020304U, 0x93, 0x40, 0x7F}, b.data());
  EXPECT_EQ(b, (std::array<std::uint8_t, 7>{0x04, 0x03, 0x02, 0x01, 0x93, 0x40, 0x7F}));
}

TEST(ClipEvent, DecodesARunIntoCallerStorage) {
  const std::vector<Event> events = {{0, 0x90, 60, 100}, {96, 0x80, 60, 0}, {96, 0xB0, 7, 90}};
  const auto bytes = pack(events);
  std::array<Event, 4> out{};
  std::size_t n = 0;
  EXPECT_EQ(decode_events(bytes.data(), bytes.size(), out.data(), out.size(), n), Status::Ok);
  ASSERT_EQ(n, 3U);
  EXPECT_EQ(out[2], events[2]);
}

TEST(ClipEvent, ReportsFullCapacityTruncationAndBadEvents) {
  const auto bytes = pack({{0, 0x90, 60, 100}, {10, 0x80, 60, 0}});
  std::array<Event, 1> one{};
  std::size_t n = 0;
  EXPECT_EQ(decode_events(bytes.data(), bytes.size(), one.data(), one.size(), n), Status::CapacityFull);
  EXPECT_EQ(n, 1U);
  std::array<Event, 4> out{};
  EXPECT_EQ(decode_events(bytes.data(), bytes.size() - 1, out.data(), out.size(), n), Status::Truncated);
  EXPECT_EQ(n, 1U);
  const auto unordered = pack({{10, 0x90, 60, 100}, {5, 0x80, 60, 0}});
  EXPECT_EQ(decode_events(unordered.data(), unordered.size(), out.data(), out.size(), n), Status::BadEvent);
  const auto meta = pack({{0, 0xFF, 0x2F, 0}});
  EXPECT_EQ(decode_events(meta.data(), meta.size(), out.data(), out.size(), n), Status::BadEvent);
}

}  // namespace
}  // namespace midisift::clip
