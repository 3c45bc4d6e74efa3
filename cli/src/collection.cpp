#include "collection.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace midisift::cli {

namespace {

// "title: label count, label count, ..." ("none" for a NULL label, "-" for no rows).
void counts_line(std::ostream& out, std::string_view title, const db::Counts& counts) {
  std::string line;
  for (const auto& [label, n] : counts) {
    if (!line.empty()) line += ", ";
    line += fmt::format("{} {}", label.value_or("none"), n);
  }
  out << title << ": " << (line.empty() ? std::string("-") : line) << '\n';
}

}  // namespace

void print_stats(db::Database& database, std::ostream& out, std::size_t top) {
  const auto s = db::collection_stats(database, top);
  out << fmt::format("{}: {} files ({:.1f} MB), {} more marked missing\n", database.path().string(), s.files,
                     s.megabytes, s.missing);
  out << fmt::format("music: {:.1f} hours (to the last note) over {} files with notes and a metrical time base\n",
                     s.music_hours, s.timed_files);
  counts_line(out, "status", s.status);
  counts_line(out, "format", s.format);
  counts_line(out, "estimated key", s.estimated_key);
  counts_line(out, "tempo band (BPM, tempo-map mean)", s.tempo_band);
  counts_line(out, "time signature", s.time_signature);
  counts_line(out, "instrument family (files)", s.instrument_families);
  out << fmt::format("duplicates: {} groups of byte-identical files ({} redundant copies), {} groups of musically "
                     "identical files with different bytes\n",
                     s.byte_duplicate_groups, s.redundant_copies, s.musical_duplicate_groups);
  counts_line(out, "repairs (files)", s.repairs);
  counts_line(out, "failures", s.failures);
}

nlohmann::json stats_json(db::Database& database, std::size_t top) {
  const auto s = db::collection_stats(database, top);
  const auto counts = [](const db::Counts& c) {
    auto a = nlohmann::json::array();
    for (const auto& [label, n] : c) {
      a.push_back({{"value", label ? nlohmann::json(*label) : nlohmann::json(nullptr)}, {"files", n}});
    }
    return a;
  };
  return {{"database", database.path().string()},
          {"files", s.files},
          {"missing", s.missing},
          {"megabytes", s.megabytes},
          {"music_hours", s.music_hours},
          {"timed_files", s.timed_files},
          {"status", counts(s.status)},
          {"format", counts(s.format)},
          {"estimated_key", counts(s.estimated_key)},
          {"tempo_band", counts(s.tempo_band)},
          {"time_signature", counts(s.time_signature)},
          {"instrument_families", counts(s.instrument_families)},
          {"duplicates",
           {{"byte_groups", s.byte_duplicate_groups},
            {"redundant_copies", s.redundant_copies},
            {"musical_groups", s.musical_duplicate_groups}}},
          {"repairs", counts(s.repairs)},
          {"failures", counts(s.failures)}};
}

std::uint64_t print_dupes(db::Database& database, db::DupeKind kind, bool json, std::ostream& out) {
  const auto groups = db::duplicate_groups(database, kind);
  for (const auto& g : groups) {
    const bool bytes = g.kind == db::DupeKind::Bytes;
    if (json) {
      nlohmann::json j{{"kind", bytes ? "bytes" : "music"}, {"key", g.key}, {"files", nlohmann::json::array()}};
      for (const auto& m : g.files) j["files"].push_back({{"path", m.path}, {"md5", m.md5}});
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      continue;
    }
    out << fmt::format("{} {}: {} files\n", bytes ? "md5" : "fingerprint", g.key, g.files.size());
    for (const auto& m : g.files) {
      out << "  " << m.path;
      if (!bytes) out << "  (md5 " << m.md5 << ')';
      out << '\n';
    }
  }
  return groups.size();
}

}  // namespace midisift::cli
