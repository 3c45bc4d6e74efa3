// Rounding without a library call, for the analysis's hot loops (internal).
#pragma once

#include <cstdint>

namespace midisift::analyze::detail {

/// std::llround(x) for 0 <= x < 2^63, inline: truncation is exact there and so is x minus it, so a
/// fraction of exactly one half rounds up (away from zero), as llround's does. Same value as
/// llround over that range, bit for bit.
inline std::int64_t round_non_negative(double x) noexcept {
  const auto t = static_cast<std::int64_t>(x);
  return x - static_cast<double>(t) >= 0.5 ? t + 1 : t;
}

}  // namespace midisift::analyze::detail
