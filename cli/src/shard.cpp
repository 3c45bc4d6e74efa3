#include "shard.hpp"

#include <xxhash.h>

#include <charconv>

namespace midisift::cli {

std::optional<Shard> Shard::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  Shard s;
  const auto whole = [](std::string_view part, std::uint32_t& out) {
    const auto* end = part.data() + part.size();
    const auto r = std::from_chars(part.data(), end, out);
    return !part.empty() && r.ec == std::errc() && r.ptr == end;
  };
  if (!whole(text.substr(0, slash), s.index) || !whole(text.substr(slash + 1), s.count)) return std::nullopt;
  if (s.count == 0 || s.index >= s.count) return std::nullopt;
  return s;
}

bool Shard::owns(std::string_view relative) const noexcept {
  return XXH3_64bits(relative.data(), relative.size()) % count == index;
}

std::string_view Shard::relative(std::string_view root, std::string_view path) noexcept {
  if (path.size() > root.size() && path.starts_with(root)) {
    const std::size_t skip = root.ends_with('/') ? root.size() : root.size() + 1;
    return path.substr(skip);
  }
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace midisift::cli
