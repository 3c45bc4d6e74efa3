// Synthetic MIDI collections for scan tests, and SQLite helpers to read what a scan stored.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "song_builder.hpp"

namespace midisift::test {

inline void write_file(const std::filesystem::path& p, const Bytes& b) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

/// Song `i` of a synthetic collection: a melody and a bass line, `notes` notes each, whose pitches
/// and rhythm depend on `i`, so that every song has its own bytes and its own note fingerprint.
inline Bytes numbered_song(std::uint32_t i, std::uint32_t notes = 200) {
  SongTrack melody, bass;
  std::uint32_t at = 0;
  for (std::uint32_t k = 0; k < notes; ++k) {
    const std::uint32_t len = 48 + 24 * ((i + k) % 3);
    melody.notes.push_back({at, at + len, static_cast<std::uint8_t>(60 + (i * 7 + k * 5) % 24)});
    bass.notes.push_back({at, at + len, static_cast<std::uint8_t>(36 + (i + k) % 12), 1});
    at += len;
  }
  melody.events = {{0, tempo_meta(500000 + i % 7 * 10000)}, {0, {0xC0, static_cast<std::uint8_t>(i % 8)}}};
  bass.events = {{0, {0xC1, 33}}};
  return song(96, {melody, bass});
}

/// Writes songs 0..n-1 as `root/dNN/song_NNNNN.mid`, 500 to a folder.
inline void make_songs(const std::filesystem::path& root, std::uint32_t n, std::uint32_t notes = 200) {
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string name = "song_";  // built with += : GCC 12 warns falsely on chained operator+
    name += std::to_string(100000 + i);
    name += ".mid";
    std::string folder = "d";
    folder += std::to_string(i / 500);
    write_file(root / folder / name, numbered_song(i, notes));
  }
}

/// Rows of `sql` on the database `db_path`, opened read-only (or read-write, as the next scan would
/// open it: only such a connection can recover the WAL of a process killed mid-write): columns
/// joined by '|', rows by '\n', NULL as "NULL"; "SQL error: ..." when the query fails.
inline std::string query(const std::filesystem::path& db_path, const std::string& sql, bool read_write = false) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_path.c_str(), &db, read_write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    out = std::string("SQL error: ") + sqlite3_errmsg(db);
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      if (!out.empty()) out += '\n';
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (c > 0) out += '|';
        const auto* t = sqlite3_column_text(stmt, c);
        out += t ? reinterpret_cast<const char*>(t) : "NULL";
      }
    }
  } else {
    out = std::string("SQL error: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

/// The rows of `files`, one line each, ordered by path, without what differs between two equal
/// scans (row ids, `scanned_at`).
inline std::string file_rows(const std::filesystem::path& db_path) {
  const std::string columns = query(
      db_path,
      "SELECT group_concat(name, ', ') FROM pragma_table_info('files') WHERE name NOT IN ('id', 'scanned_at')");
  return query(db_path, "SELECT " + columns + " FROM files ORDER BY path");
}

/// Everything a scan stored about the present files, keyed by path, without what differs between
/// two equal scans (row ids, `scanned_at`): two databases with equal snapshots hold the same results.
inline std::string snapshot(const std::filesystem::path& db_path) {
  std::string s = file_rows(db_path);
  s += "\n--\n" + query(db_path,
                        "SELECT f.path, d.code, d.track, d.offset FROM diagnostics d JOIN files f ON f.id = d.file_id "
                        "ORDER BY 1, 4, 2, 3");
  s += "\n--\n" + query(db_path,
                        "SELECT f.path, i.track, i.channel, i.program, i.name, i.family, i.first_tick, i.notes FROM "
                        "instruments i JOIN files f ON f.id = i.file_id ORDER BY 1, 2, 3, 7, 4");
  s += "\n--\n" + query(db_path,
                        "SELECT f.path, l.track, l.start_bar, l.bars, l.repeats, l.start_tick, l.end_tick, l.notes, "
                        "l.exact, l.drum FROM loops l JOIN files f ON f.id = l.file_id ORDER BY 1, 2, 3, 4");
  s += "\n--\n" + query(db_path,
                        "SELECT f.path, k.start_bar, k.start_tick, k.start_seconds, k.key, k.tonic, k.mode, k.confidence "
                        "FROM key_regions k JOIN files f ON f.id = k.file_id ORDER BY 1, 2");
  s += "\n--\n" + query(db_path,
                        "SELECT f.path, c.start_tick, c.label, c.root, c.quality, c.bass FROM chords c JOIN files f "
                        "ON f.id = c.file_id ORDER BY 1, 2");
  return s;
}

}  // namespace midisift::test
