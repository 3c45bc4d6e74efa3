#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "midisift/clip/event.hpp"

namespace midisift::clip {
namespace {

TEST(ClipEvent, EncodesLittleEndianSevenBytes) {
  std::array<std::uint8_t, kEventSize> b{};
  encode(Event{0x01020304U, 0x93, 0x40, 0x7F}, b.data());
  EXPECT_EQ(b, (std::array<std::uint8_t, 7>{0x04, 0x03, 0x02, 0x01, 0x93, 0x40, 0x7F}));
}

}  // namespace
}  // namespace midisift::clip
