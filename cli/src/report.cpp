#include "report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace midisift::cli {

namespace {

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json channels(std::uint16_t mask) {
  auto a = nlohmann::json::array();
  for (int c = 0; c < 16; ++c) {
    if ((mask & (1U << c)) != 0) a.push_back(c);
  }
  return a;
}

}  // namespace

nlohmann::json to_json(const db::FileRecord& r) {
  nlohmann::json j;
  j["path"] = r.path;
  j["size_bytes"] = r.size_bytes;
  j["md5"] = r.md5.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.md5);
  j["status"] = db::to_string(r.status);
  j["error_code"] = r.error_code.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error_code);
  j["error"] = r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error);
  j["riff"] = r.riff;
  if (r.facts) {
    const auto& f = *r.facts;
    const bool smpte = f.smpte_fps != 0;
    j["format"] = f.format;
    j["tracks"] = f.tracks;
    j["ppq"] = smpte ? nlohmann::json(nullptr) : nlohmann::json(f.ppq);
    j["smpte_fps"] = smpte ? nlohmann::json(f.smpte_fps) : nlohmann::json(nullptr);
    j["ticks_per_frame"] = smpte ? nlohmann::json(f.ticks_per_frame) : nlohmann::json(nullptr);
    j["note_on_events"] = f.note_on_events;
    j["channel_events"] = f.channel_events;
    j["meta_events"] = f.meta_events;
    j["sysex_events"] = f.sysex_events;
    j["end_tick"] = f.end_tick;
    j["duration_seconds"] = opt(f.duration_seconds);
    j["tempo_changes"] = f.tempo_changes;
    j["initial_bpm"] = opt(f.initial_bpm);
    j["pitch_min"] = opt(f.pitch_min);
    j["pitch_max"] = opt(f.pitch_max);
    j["channels"] = channels(f.channel_mask);
  }
  auto diags = nlohmann::json::array();
  for (const auto& d : r.diagnostics) {
    diags.push_back({{"code", parse::to_string(d.code)},
                     {"track", d.track == parse::kFileLevel ? nlohmann::json(nullptr) : nlohmann::json(d.track)},
                     {"offset", d.offset}});
  }
  j["diagnostics"] = std::move(diags);
  return j;
}

std::string to_text(const db::FileRecord& r) {
  std::string s = fmt::format("{}\n  status:           {}\n  size_bytes:       {}\n", r.path, db::to_string(r.status),
                              r.size_bytes);
  if (!r.md5.empty()) s += fmt::format("  md5:              {}\n", r.md5);
  if (!r.error.empty()) s += fmt::format("  error:            {}: {}\n", r.error_code, r.error);
  if (r.riff) s += "  riff:             RMID wrapper\n";
  if (r.facts) {
    const auto& f = *r.facts;
    s += fmt::format("  format:           {}\n  tracks:           {}\n", f.format, f.tracks);
    if (f.smpte_fps != 0) {
      s += fmt::format("  division:         SMPTE {} fps, {} ticks per frame\n", f.smpte_fps, f.ticks_per_frame);
    } else {
      s += fmt::format("  ppq:              {}\n", f.ppq);
    }
    s += fmt::format(
        "  note_on_events:   {}\n  channel_events:   {}\n  meta_events:      {}\n  sysex_events:     {}\n"
        "  end_tick:         {}\n",
        f.note_on_events, f.channel_events, f.meta_events, f.sysex_events, f.end_tick);
    s += f.duration_seconds ? fmt::format("  duration_seconds: {:.3f}\n", *f.duration_seconds)
                            : std::string("  duration_seconds: n/a\n");
    s += fmt::format("  tempo_changes:    {}\n", f.tempo_changes);
    s += f.initial_bpm ? fmt::format("  initial_bpm:      {:.2f}\n", *f.initial_bpm)
                       : std::string("  initial_bpm:      n/a\n");
    if (f.pitch_min) s += fmt::format("  pitch_range:      {}-{}\n", *f.pitch_min, *f.pitch_max);
    s += fmt::format("  channels:         {}\n", channels(f.channel_mask).dump());
  }
  if (!r.diagnostics.empty()) {
    s += fmt::format("  diagnostics:      {}\n", r.diagnostics.size());
    for (const auto& d : r.diagnostics) {
      if (d.track == parse::kFileLevel) {
        s += fmt::format("    {} at byte {}\n", parse::to_string(d.code), d.offset);
      } else {
        s += fmt::format("    {} in track {} at byte {}\n", parse::to_string(d.code), d.track, d.offset);
      }
    }
  }
  return s;
}

}  // namespace midisift::cli
