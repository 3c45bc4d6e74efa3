#include "walk.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <system_error>

namespace midisift::cli {

namespace fs = std::filesystem;

bool has_midi_extension(const fs::path& p) {
  static constexpr std::array<std::string_view, 5> kExtensions{".mid", ".midi", ".kar", ".rmi", ".smf"};
  const std::string ext = p.extension().string();
  return std::any_of(kExtensions.begin(), kExtensions.end(), [&](std::string_view e) {
    return ext.size() == e.size() && std::equal(ext.begin(), ext.end(), e.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  });
}

Walker::Walker(std::vector<fs::path> roots, Warn warn, std::optional<Shard> shard)
    : roots_(std::move(roots)), warn_(std::move(warn)), shard_(shard) {}

void Walker::warn(const fs::path& p, const std::string& what) {
  ++errors_;
  std::string folder = p.string();
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
  unreadable_.push_back(std::move(folder));
  if (warn_) warn_(p.string() + ": " + what);
}

void Walker::enter(const fs::path& folder) {
  std::error_code ec;
  Frame frame;
  fs::directory_iterator it(folder, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) frame.entries.push_back(*it);
  if (ec) {
    warn(folder, "cannot read folder: " + ec.message());
    return;
  }
  std::sort(frame.entries.begin(), frame.entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) { return a.path() < b.path(); });
  stack_.push_back(std::move(frame));
}

std::optional<fs::path> Walker::next() {
  std::error_code ec;
  for (;;) {
    while (!stack_.empty()) {
      Frame& top = stack_.back();
      if (top.next == top.entries.size()) {
        stack_.pop_back();
        continue;
      }
      const fs::directory_entry& entry = top.entries[top.next++];
      // Symlinks to folders are not followed: a link cycle cannot trap the walk.
      if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
        const fs::path folder = entry.path();
        enter(folder);  // may reallocate stack_: `top` and `entry` are dead after this
        continue;
      }
      if (has_midi_extension(entry.path()) &&
          (!shard_ || shard_->owns(Shard::relative(root_, entry.path().native())))) {
        return entry.path();
      }
    }
    if (next_root_ >= roots_.size()) return std::nullopt;
    const fs::path& root = roots_[next_root_++];
    root_ = root.native();
    const auto st = fs::status(root, ec);
    if (ec || !fs::exists(st)) {
      warn(root, ec ? ec.message() : "no such file or folder");
      ec.clear();
      continue;
    }
    if (!fs::is_directory(st)) {
      if (shard_ && !shard_->owns(Shard::relative(root_, root_))) continue;
      return root;
    }
    enter(root);
  }
}

}  // namespace midisift::cli
