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

nlohmann::json music_json(const analyze::MusicalFacts& m) {
  nlohmann::json j;
  j["tempo_min_bpm"] = opt(m.tempo_min_bpm);
  j["tempo_max_bpm"] = opt(m.tempo_max_bpm);
  j["tempo_mean_bpm"] = opt(m.tempo_mean_bpm);
  j["estimated_bpm"] = m.estimated_tempo ? nlohmann::json(m.estimated_tempo->bpm) : nlohmann::json(nullptr);
  j["estimated_bpm_confidence"] =
      m.estimated_tempo ? nlohmann::json(m.estimated_tempo->confidence) : nlohmann::json(nullptr);
  j["time_signature"] = m.time_signature ? nlohmann::json(fmt::format("{}/{}", m.time_signature->numerator,
                                                                      m.time_signature->denominator))
                                         : nlohmann::json(nullptr);
  j["time_signature_changes"] = m.time_signature_changes;
  j["key_signature"] =
      m.key_signature ? nlohmann::json(analyze::key_name(m.key_signature->key())) : nlohmann::json(nullptr);
  j["key_signature_changes"] = m.key_signature_changes;
  if (m.estimated_key) {
    j["estimated_key_tonic"] = m.estimated_key->key.tonic;
    j["estimated_key_mode"] = analyze::to_string(m.estimated_key->key.mode);
    j["estimated_key"] = analyze::key_name(m.estimated_key->key);
    j["estimated_key_confidence"] = m.estimated_key->correlation;
    j["estimated_key_runner_up"] = analyze::key_name(m.estimated_key->runner_up);
    j["estimated_key_runner_up_confidence"] = m.estimated_key->runner_up_correlation;
  } else {
    for (const char* k : {"estimated_key_tonic", "estimated_key_mode", "estimated_key", "estimated_key_confidence",
                          "estimated_key_runner_up", "estimated_key_runner_up_confidence"}) {
      j[k] = nullptr;
    }
  }
  j["notes"] = m.notes;
  j["drum_notes"] = m.drum_notes;
  j["unmatched_note_offs"] = m.unmatched_note_offs;
  j["notes_open_at_track_end"] = m.notes_open_at_track_end;
  j["pitch_mean"] = opt(m.pitch_mean);
  j["velocity_mean"] = opt(m.velocity_mean);
  j["velocity_std"] = opt(m.velocity_std);
  j["pitch_class_histogram"] = m.pitch_class_histogram;
  j["polyphony_max"] = m.polyphony_max;
  j["polyphony_mean"] = opt(m.polyphony_mean);
  j["notes_per_second"] = opt(m.notes_per_second);
  j["gm_families"] = m.gm_families();
  auto instruments = nlohmann::json::array();
  for (const auto& u : m.instruments) {
    instruments.push_back({{"track", u.track},
                           {"channel", u.channel},
                           {"program", u.program},
                           {"name", analyze::instrument_name(u)},
                           {"family", analyze::instrument_family(u)},
                           {"first_tick", u.first_tick},
                           {"notes", u.notes}});
  }
  j["instruments"] = std::move(instruments);
  auto names = nlohmann::json::array();
  for (const auto& n : m.track_names) names.push_back(std::string_view(n));
  j["track_names"] = std::move(names);
  j["has_lyrics"] = m.has_lyrics;
  j["has_text"] = m.has_text;
  const auto& x = m.metrics;
  const nlohmann::json muspy = {{"pitch_range", x.pitch_range},
                {"n_pitches_used", x.n_pitches_used},
                {"n_pitch_classes_used", x.n_pitch_classes_used},
                {"polyphony", opt(x.polyphony)},
                {"polyphony_rate", opt(x.polyphony_rate)},
                {"pitch_in_scale_rate", opt(x.pitch_in_scale_rate)},
                {"scale_consistency", opt(x.scale_consistency)},
                {"pitch_entropy", opt(x.pitch_entropy)},
                {"pitch_class_entropy", opt(x.pitch_class_entropy)},
                {"empty_beat_rate", opt(x.empty_beat_rate)},
                {"drum_in_pattern_rate", opt(x.drum_in_pattern_rate)},
                {"drum_pattern_consistency", opt(x.drum_pattern_consistency)},
                {"groove_consistency", opt(x.groove_consistency)}};
  // Flat, under the names of the database's columns.
  j.update(muspy);
  j["fingerprint"] = m.fingerprint ? nlohmann::json(analyze::to_hex(*m.fingerprint)) : nlohmann::json(nullptr);
  auto loops = nlohmann::json::array();
  for (const auto& l : m.loops) {
    loops.push_back({{"track", l.track},
                     {"start_bar", l.start_bar},
                     {"bars", l.bars},
                     {"repeats", l.repeats},
                     {"start_tick", l.start_tick},
                     {"end_tick", l.end_tick},
                     {"notes", l.notes},
                     {"exact", l.exact},
                     {"drum", l.drum}});
  }
  j["loops"] = std::move(loops);
  return j;
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
  if (r.music) {
    // The musical facts sit beside the file facts, named as the columns of `files` (db/SCHEMA.md).
    j.update(music_json(*r.music));
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
  if (r.music) {
    const auto& m = *r.music;
    s += fmt::format("  notes:            {} ({} drum)\n", m.notes, m.drum_notes);
    if (m.time_signature) {
      s += fmt::format("  time_signature:   {}/{}\n", m.time_signature->numerator, m.time_signature->denominator);
    }
    if (m.key_signature) s += fmt::format("  key_signature:    {}\n", analyze::key_name(m.key_signature->key()));
    if (m.estimated_key) {
      s += fmt::format("  estimated_key:    {} (r = {:.3f}; runner-up {}, r = {:.3f})\n",
                       analyze::key_name(m.estimated_key->key), m.estimated_key->correlation,
                       analyze::key_name(m.estimated_key->runner_up), m.estimated_key->runner_up_correlation);
    }
    if (m.estimated_tempo) {
      s += fmt::format("  estimated_bpm:    {:.1f} (confidence {:.2f})\n", m.estimated_tempo->bpm,
                       m.estimated_tempo->confidence);
    }
    if (m.fingerprint) s += fmt::format("  fingerprint:      {}\n", analyze::to_hex(*m.fingerprint));
    s += fmt::format("  instruments:      {}\n  loop_candidates:  {}\n", m.instruments.size(), m.loops.size());
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
