#include "collection.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace midisift::cli {

namespace {

std::string text(const std::optional<std::string_view>& v, std::string_view null = "NULL") {
  return std::string(v ? *v : null);
}

std::uint64_t number(const std::optional<std::string_view>& v) { return v ? std::stoull(std::string(*v)) : 0; }

// "label count, label count, ..." for a two-column (label, count) query.
void counts_line(db::Database& database, std::ostream& out, std::string_view title, const std::string& sql,
                 std::string_view null_label = "none") {
  std::string line;
  db::query(database, sql, {}, [&](db::Row row) {
    if (!line.empty()) line += ", ";
    line += fmt::format("{} {}", text(row[0], null_label), number(row[1]));
  });
  out << title << ": " << (line.empty() ? std::string("-") : line) << '\n';
}

std::string top_of(std::string_view column, std::string_view from, std::size_t top) {
  return fmt::format("SELECT {0}, count(*) AS n FROM {1} GROUP BY {0} ORDER BY n DESC, {0} LIMIT {2}", column, from, top);
}

}  // namespace

void print_stats(db::Database& database, std::ostream& out, std::size_t top) {
  std::uint64_t present = 0, missing = 0;
  double hours = 0, mb = 0;
  std::uint64_t timed = 0;
  db::query(database,
            "SELECT count(*) FILTER (WHERE missing_since IS NULL), count(*) FILTER (WHERE missing_since IS NOT NULL), "
            "coalesce(sum(duration_seconds) FILTER (WHERE missing_since IS NULL), 0) / 3600.0, "
            "count(duration_seconds) FILTER (WHERE missing_since IS NULL), "
            "coalesce(sum(size_bytes) FILTER (WHERE missing_since IS NULL), 0) / 1e6 FROM files",
            {}, [&](db::Row row) {
              present = number(row[0]);
              missing = number(row[1]);
              hours = std::stod(text(row[2], "0"));
              timed = number(row[3]);
              mb = std::stod(text(row[4], "0"));
            });
  out << fmt::format("{}: {} files ({:.1f} MB), {} more marked missing\n", database.path().string(), present, mb, missing);
  out << fmt::format("total duration: {:.1f} hours over {} files with a metrical time base\n", hours, timed);
  counts_line(database, out, "status", "SELECT status, count(*) FROM present_files GROUP BY status ORDER BY 2 DESC");
  counts_line(database, out, "format", top_of("format", "present_files", top));
  counts_line(database, out, "estimated key", top_of("estimated_key", "file_overview", top));
  counts_line(database, out, "tempo band (BPM, tempo-map mean)",
              "SELECT tempo_band, count(*) FROM file_overview GROUP BY tempo_band "
              "ORDER BY min(tempo_bpm) IS NULL, min(tempo_bpm)");
  counts_line(database, out, "time signature", top_of("time_signature", "file_overview", top));
  counts_line(database, out, "instrument family (files)",
              fmt::format("SELECT family, files FROM instrument_families ORDER BY files DESC, family LIMIT {}", top));
  db::query(database,
            "SELECT (SELECT count(DISTINCT md5) FROM byte_duplicates), "
            "(SELECT count(*) - count(DISTINCT md5) FROM byte_duplicates), "
            "(SELECT count(DISTINCT fingerprint) FROM musical_duplicates)",
            {}, [&](db::Row row) {
              out << fmt::format("duplicates: {} groups of byte-identical files ({} redundant copies), {} groups of "
                                 "musically identical files with different bytes\n",
                                 number(row[0]), number(row[1]), number(row[2]));
            });
  counts_line(database, out, "repairs (files)",
              fmt::format("SELECT code, count(DISTINCT file_id) AS n FROM repairs GROUP BY code ORDER BY n DESC, code "
                          "LIMIT {}",
                          top));
  counts_line(database, out, "failures", top_of("error_code", "failures", top));
}

std::uint64_t print_dupes(db::Database& database, DupeKind kind, bool json, std::ostream& out) {
  std::uint64_t groups = 0;
  struct Member {
    std::string path, md5;
  };
  auto emit = [&](std::string_view kind_name, const std::string& key, const std::vector<Member>& members) {
    ++groups;
    if (json) {
      nlohmann::json j{{"kind", kind_name}, {"key", key}, {"files", nlohmann::json::array()}};
      for (const auto& m : members) j["files"].push_back({{"path", m.path}, {"md5", m.md5}});
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      return;
    }
    out << fmt::format("{} {}: {} files\n", kind_name == "bytes" ? "md5" : "fingerprint", key, members.size());
    for (const auto& m : members) {
      out << "  " << m.path;
      if (kind_name == "music") out << "  (md5 " << m.md5 << ')';
      out << '\n';
    }
  };
  auto run = [&](std::string_view kind_name, const char* sql) {
    std::string key;
    std::vector<Member> members;
    db::query(database, sql, {}, [&](db::Row row) {
      std::string k = text(row[0]);
      if (k != key && !members.empty()) {
        emit(kind_name, key, members);
        members.clear();
      }
      key = std::move(k);
      members.push_back({text(row[1]), text(row[2], "")});
    });
    if (!members.empty()) emit(kind_name, key, members);
  };
  if (kind != DupeKind::Music) {
    run("bytes", "SELECT md5, path, md5 FROM byte_duplicates ORDER BY copies DESC, md5, path");
  }
  if (kind != DupeKind::Bytes) {
    run("music", "SELECT fingerprint, path, md5 FROM musical_duplicates ORDER BY copies DESC, fingerprint, md5, path");
  }
  return groups;
}

}  // namespace midisift::cli
