#include "prior_scan.hpp"

#include <xxhash.h>

#include <algorithm>
#include <tuple>

namespace midisift::cli {

namespace {

XXH128_hash_t hash_path(std::string_view path) noexcept { return XXH3_128bits(path.data(), path.size()); }

bool less(const PriorScan::Entry& e, const XXH128_hash_t& h) noexcept {
  return std::tie(e.hash_hi, e.hash_lo) < std::tie(h.high64, h.low64);
}

bool under(std::string_view path, std::string_view folder) noexcept {
  return path.size() > folder.size() && path.starts_with(folder) && path[folder.size()] == '/';
}

}  // namespace

std::string root_key(const std::filesystem::path& root) {
  std::string s = root.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

PriorScan::PriorScan(db::Database& database, const std::vector<std::filesystem::path>& roots,
                     std::optional<Shard> shard) {
  for (const auto& root : roots) {
    const std::string key = root_key(root);
    db::for_each_file_under(database, key, [&](const db::KnownFile& k) {
      if (shard && !shard->owns(Shard::relative(key, k.path))) return;
      const auto h = hash_path(k.path);
      Entry e;
      e.hash_lo = h.low64;
      e.hash_hi = h.high64;
      e.id = k.id;
      e.size_bytes = k.size_bytes;
      e.has_mtime = k.mtime_ns.has_value();
      e.mtime_ns = k.mtime_ns.value_or(0);
      e.analysis_version = k.analysis_version.value_or(0);
      e.missing = k.missing;
      entries_.push_back(e);
    });
  }
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.hash_hi, a.hash_lo) < std::tie(b.hash_hi, b.hash_lo);
  });
  // Overlapping roots ("c" and "c/sub") list a row twice: keep one.
  entries_.erase(std::unique(entries_.begin(), entries_.end(),
                             [](const Entry& a, const Entry& b) { return a.id == b.id; }),
                 entries_.end());
  entries_.shrink_to_fit();
}

PriorScan::Entry* PriorScan::find(std::string_view path) noexcept {
  const auto h = hash_path(path);
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), h, less);
  if (it == entries_.end() || it->hash_hi != h.high64 || it->hash_lo != h.low64) return nullptr;
  it->seen = true;
  return &*it;
}

bool PriorScan::unchanged(const Entry& e, std::uint64_t size_bytes, std::int64_t mtime_ns) noexcept {
  return !e.missing && e.has_mtime && e.mtime_ns == mtime_ns && e.size_bytes == size_bytes &&
         e.analysis_version == scan::kAnalysisVersion;
}

std::vector<std::int64_t> PriorScan::unseen(db::Database& database, const std::vector<std::filesystem::path>& roots,
                                            const std::vector<std::string>& unreadable_folders) {
  std::vector<std::int64_t> ids;
  const bool any = std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return !e.seen && !e.missing; });
  if (!any) return ids;
  for (const auto& root : roots) {
    db::for_each_file_under(database, root_key(root), [&](const db::KnownFile& k) {
      if (k.missing) return;
      if (std::any_of(unreadable_folders.begin(), unreadable_folders.end(),
                      [&](const std::string& f) { return under(k.path, f); })) {
        return;
      }
      const auto h = hash_path(k.path);
      const auto it = std::lower_bound(entries_.begin(), entries_.end(), h, less);
      if (it != entries_.end() && it->id == k.id && !it->seen) ids.push_back(k.id);
    });
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace midisift::cli
