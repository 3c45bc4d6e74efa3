// `scan --shard I/N`: the files of a collection split into N disjoint parts, the same on every
// machine of a cluster, so that N jobs of a scheduler scan one part each (docs/cluster.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace midisift::cli {

/// Part `index` of `count` (0 <= index < count).
struct Shard {
  std::uint32_t index = 0;
  std::uint32_t count = 1;

  /// Parses "I/N" as people write it: "3/64". Empty on anything else (I >= N, N = 0, junk).
  [[nodiscard]] static std::optional<Shard> parse(std::string_view text);
  /// Whether the file at `relative` (its path relative to the scan root, or its file name when
  /// the root is the file) belongs to this part: XXH3-64 of the path bytes, modulo `count`. It
  /// depends on nothing but those bytes: not on the walk order, on which other files exist, or on
  /// where the collection is mounted.
  [[nodiscard]] bool owns(std::string_view relative) const noexcept;
  /// `path` (stored form, see canonical_roots) relative to `root`; its file name when it is the root.
  [[nodiscard]] static std::string_view relative(std::string_view root, std::string_view path) noexcept;
};

}  // namespace midisift::cli
