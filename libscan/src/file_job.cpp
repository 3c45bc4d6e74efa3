#include "midisift/scan/file_result.hpp"

#include <string>
#include <utility>

namespace midisift::scan {

void FileJob::run(const std::filesystem::path& path, std::pmr::memory_resource* mr,
                  const parse::ParseOptions& options, parse::Access access) {
  clear();
  vanished_ = false;
  result = FileResult{};
  result.path = path.string();
  parse::OpenError open_error;
  if (!input.open(path, open_error, access)) {
    vanished_ = open_error.code == parse::Fatal::Vanished;
    result.size_bytes = input.size();
    // The modification time is kept only when the failure belongs to the file as it is (empty, over
    // 4 GiB, not a regular file): the next scan may skip it while it stays unchanged. A file that
    // could not be read (permissions, an I/O error) or changed while it was read keeps none, so the
    // next scan reads it again: fixing its permissions does not change its modification time.
    const bool lasting = open_error.code == parse::Fatal::EmptyFile || open_error.code == parse::Fatal::TooLarge ||
                         open_error.code == parse::Fatal::NotAFile;
    if (lasting && input.mtime_ns() != 0) result.mtime_ns = input.mtime_ns();
    result.status = parse::ParseStatus::Failed;
    result.error_code = parse::to_string(open_error.code);
    result.error = open_error.message;
    return;
  }
  result.mtime_ns = input.mtime_ns();
  analyze(input.bytes(), mr, options);
}

void FileJob::analyze(std::span<const std::byte> bytes, std::pmr::memory_resource* mr,
                      const parse::ParseOptions& options) {
  result.music.reset();  // may view the memory resource of a previous call
  smf.reset();
  auto path = std::move(result.path);
  const auto mtime = result.mtime_ns;
  result = FileResult{};
  result.path = std::move(path);
  result.mtime_ns = mtime;
  result.size_bytes = bytes.size();
  result.md5 = midisift::analyze::to_hex(midisift::analyze::md5(bytes));

  smf.emplace(parse::parse(bytes, mr, options));
  result.riff = smf->riff();
  result.diagnostics = smf->diagnostics();
  result.status = smf->status();
  if (const auto& failure = smf->failure()) {
    result.error_code = parse::to_string(failure->code);
    result.error = parse::describe(*failure);
    return;
  }
  result.facts = midisift::analyze::compute_facts(*smf, mr);
  result.music.emplace(midisift::analyze::analyze_music(*smf, *result.facts, mr));
}

void FileJob::clear() noexcept {
  result.diagnostics = {};
  result.music.reset();
  smf.reset();
  input.close();
}

}  // namespace midisift::scan
