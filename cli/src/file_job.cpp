#include "file_job.hpp"

#include <string>
#include <utility>

namespace midisift::cli {

void FileJob::run(const std::filesystem::path& path, std::pmr::memory_resource* mr,
                  const parse::ParseOptions& options, parse::Access access) {
  clear();
  vanished_ = false;
  record = db::FileRecord{};
  record.path = path.string();
  parse::OpenError open_error;
  if (!input.open(path, open_error, access)) {
    vanished_ = open_error.code == parse::Fatal::Vanished;
    record.size_bytes = input.size();
    // The modification time is kept only when the failure belongs to the file as it is (empty, over
    // 4 GiB, not a regular file): the next scan may skip it while it stays unchanged. A file that
    // could not be read (permissions, an I/O error) or changed while it was read keeps none, so the
    // next scan reads it again: fixing its permissions does not change its modification time.
    const bool lasting = open_error.code == parse::Fatal::EmptyFile || open_error.code == parse::Fatal::TooLarge ||
                         open_error.code == parse::Fatal::NotAFile;
    if (lasting && input.mtime_ns() != 0) record.mtime_ns = input.mtime_ns();
    record.status = db::FileStatus::Failed;
    record.error_code = parse::to_string(open_error.code);
    record.error = open_error.message;
    return;
  }
  record.mtime_ns = input.mtime_ns();
  analyse(input.bytes(), mr, options);
}

void FileJob::analyse(std::span<const std::byte> bytes, std::pmr::memory_resource* mr,
                      const parse::ParseOptions& options) {
  record.music.reset();  // may view the memory resource of a previous call
  smf.reset();
  auto path = std::move(record.path);
  const auto mtime = record.mtime_ns;
  record = db::FileRecord{};
  record.path = std::move(path);
  record.mtime_ns = mtime;
  record.size_bytes = bytes.size();
  record.md5 = analyze::to_hex(analyze::md5(bytes));

  smf.emplace(parse::parse(bytes, mr, options));
  record.riff = smf->riff();
  record.diagnostics = smf->diagnostics();
  switch (smf->status()) {
    case parse::ParseStatus::Ok: record.status = db::FileStatus::Ok; break;
    case parse::ParseStatus::Recovered: record.status = db::FileStatus::Recovered; break;
    case parse::ParseStatus::Failed: record.status = db::FileStatus::Failed; break;
  }
  if (const auto& failure = smf->failure()) {
    record.error_code = parse::to_string(failure->code);
    record.error = parse::describe(*failure);
    return;
  }
  record.facts = analyze::compute_facts(*smf, mr);
  record.music.emplace(analyze::analyze_music(*smf, *record.facts, mr));
}

void FileJob::clear() noexcept {
  record.diagnostics = {};
  record.music.reset();
  smf.reset();
  input.close();
}

}  // namespace midisift::cli
