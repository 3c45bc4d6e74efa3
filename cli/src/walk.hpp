// The serial first stage of `scan`: walks the roots and yields MIDI file paths one at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "shard.hpp"

namespace midisift::cli {

/// True for the extensions a MIDI collection uses: .mid .midi .kar .rmi .smf, any case.
[[nodiscard]] bool has_midi_extension(const std::filesystem::path& p);

/// Walks each root in order, depth first, entries of a folder in byte order of their names (so two
/// walks of the same tree agree). A root that is a file is yielded whatever its name; folders are
/// walked recursively (directory symlinks are not followed, so a symlink loop cannot trap the walk
/// or list a file twice; a scan root that is itself a link is followed) and yield every
/// non-folder entry with a MIDI extension, including entries that will fail to open (broken links,
/// unreadable files) so that each still gets a row. A folder that cannot be read is passed to
/// `warn` and the walk goes on with the rest.
class Walker {
 public:
  using Warn = std::function<void(const std::string&)>;
  /// With `shard`, only the files of that part are yielded (Shard::owns, on the path relative to
  /// its root).
  Walker(std::vector<std::filesystem::path> roots, Warn warn, std::optional<Shard> shard = std::nullopt);

  /// The next file, or nothing when the walk is over.
  [[nodiscard]] std::optional<std::filesystem::path> next();
  /// Roots or folders that could not be walked.
  [[nodiscard]] std::uint64_t errors() const noexcept { return errors_; }
  /// Their paths, as walked: files stored under them are not known to be gone.
  [[nodiscard]] const std::vector<std::string>& unreadable() const noexcept { return unreadable_; }

 private:
  void warn(const std::filesystem::path& p, const std::string& what);
  std::vector<std::filesystem::path> roots_;
  Warn warn_;
  std::optional<Shard> shard_;
  std::string root_;  ///< the root being walked, as a string (for Shard::relative)
  void enter(const std::filesystem::path& folder);
  struct Frame {
    std::vector<std::filesystem::directory_entry> entries;
    std::size_t next = 0;
  };
  std::size_t next_root_ = 0;
  std::vector<Frame> stack_;
  std::uint64_t errors_ = 0;
  std::vector<std::string> unreadable_;
};

}  // namespace midisift::cli
