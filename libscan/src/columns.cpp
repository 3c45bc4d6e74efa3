#include "midisift/scan/columns.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <concepts>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>

namespace midisift::scan {

namespace {

using analyze::FileFacts;
using analyze::MusicalFacts;
using analyze::MuspyMetrics;
using R = FileResult;

// Values from C++ fields: integers (bool as 0/1) to INTEGER, floating point to REAL, absent to NULL.
template <class T>
Value v(const T& x) {
  if constexpr (std::is_same_v<T, bool>) {
    return std::int64_t{x ? 1 : 0};
  } else if constexpr (std::integral<T>) {
    return static_cast<std::int64_t>(x);
  } else if constexpr (std::floating_point<T>) {
    return static_cast<double>(x);
  } else {
    return std::string(x);
  }
}
template <class T>
Value v(const std::optional<T>& x) {
  return x ? v(*x) : Value{};
}
Value text_or_null(std::string_view s) { return s.empty() ? Value{} : Value(std::string(s)); }

// A member of the file facts, the musical facts or the MusPy metrics; NULL when the file failed.
template <auto Member>
Value fact(const R& r) {
  return r.facts ? v((*r.facts).*Member) : Value{};
}
template <auto Member>
Value music(const R& r) {
  return r.music ? v((*r.music).*Member) : Value{};
}
template <auto Member>
Value metric(const R& r) {
  return r.music ? v(r.music->metrics.*Member) : Value{};
}
// A value of the facts that SMPTE division (smpte == true) or metrical division leaves NULL.
template <auto Member, bool Smpte>
Value division(const R& r) {
  if (!r.facts || (r.facts->smpte_fps != 0) != Smpte) return {};
  return v((*r.facts).*Member);
}

std::string json_array(const nlohmann::json& j) { return j.dump(); }

// "C4 (60)": a MIDI note number with its name (middle C = C4, as General MIDI and most DAWs).
std::string note_text(std::uint8_t pitch) {
  static constexpr std::string_view kNames[12] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
  return fmt::format("{}{} ({})", kNames[pitch % 12], pitch / 12 - 1, pitch);
}

// Text on one line for the terminal: line breaks as " / ", at most `max` bytes (then "...", cut
// before a UTF-8 continuation byte).
std::string one_line(std::string_view text, std::size_t max) {
  std::string s;
  for (const char c : text) {
    if (c == '\n') {
      if (!s.empty() && s.back() != ' ') s += ' ';
      if (s.size() < 2 || s.compare(s.size() - 2, 2, "/ ") != 0) s += "/ ";
    } else {
      s += c;
    }
  }
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0U) == 0x80U) --cut;
  return s.substr(0, cut) + "...";
}

// "1, 10": channels numbered 1-16, as people and the --channel option count them.
std::string channels_text(std::uint16_t mask) {
  std::string s;
  for (int c = 0; c < 16; ++c) {
    if ((mask & (1U << c)) == 0) continue;
    if (!s.empty()) s += ", ";
    s += std::to_string(c + 1);
  }
  return s.empty() ? std::string("none") : s;
}

std::string channels_json(std::uint16_t mask) {
  auto a = nlohmann::json::array();
  for (int c = 0; c < 16; ++c) {
    if ((mask & (1U << c)) != 0) a.push_back(c);
  }
  return json_array(a);
}

Value estimated_key(const R& r, auto get) {
  return r.music && r.music->estimated_key ? v(get(*r.music->estimated_key)) : Value{};
}
Value estimated_tempo(const R& r, auto get) {
  return r.music && r.music->estimated_tempo ? v(get(*r.music->estimated_tempo)) : Value{};
}

// The beat grid's seconds as a JSON array (ms precision), or only its downbeats'; NULL without a grid.
Value beat_seconds(const R& r, bool downbeats_only) {
  if (!r.music || r.music->beats.empty()) return Value{};
  fmt::memory_buffer b;
  b.reserve(9 * r.music->beats.size() + 2);
  b.push_back('[');
  for (const auto& beat : r.music->beats) {
    if (downbeats_only && !beat.downbeat) continue;
    if (b.size() > 1) b.push_back(',');
    fmt::format_to(fmt::appender(b), FMT_COMPILE("{:.3f}"), beat.seconds);
  }
  b.push_back(']');
  return {fmt::to_string(b)};
}

using enum ColumnType;

// Table order is the order of the columns in the database (see file_columns()).
constexpr Column kColumns[] = {
    // Schema 1: the file and its first facts (libanalyze/include/midisift/analyze/facts.hpp).
    {"id", Integer, "PRIMARY KEY", 1, "", "row id", nullptr},
    {"path", Text, "NOT NULL UNIQUE", 1, "",
     "absolute, lexically normal path (no `.`, `..` or repeated `/`; symbolic links not resolved): one file, one row, "
     "however the scan's roots were spelled",
     [](const R& r) { return v(r.path); }},
    {"size_bytes", Integer, "NOT NULL", 1, "bytes", "file size", [](const R& r) { return v(r.size_bytes); }},
    {"mtime_ns", Integer, "", 1, "ns",
     "modification time, nanoseconds since the Unix epoch; NULL for a file that could not be read (`io_error`) or "
     "changed while it was read (`unstable`), so that the next scan reads it again",
     [](const R& r) { return v(r.mtime_ns); }},
    {"md5", Text, "", 1, "",
     "MD5 of the file's bytes, hex (the Lakh MIDI Dataset and GigaMIDI identifier); NULL if unreadable",
     [](const R& r) { return text_or_null(r.md5); }},
    {"status", Text, "NOT NULL CHECK (status IN ('ok', 'recovered', 'failed'))", 1, "",
     "`ok` (read as written), `recovered` (read with repairs, see `diagnostics`), `failed`",
     [](const R& r) { return v(parse::to_string(r.status)); }},
    {"error_code", Text, "", 1, "",
     "for failed files: `empty_file`, `not_a_file`, `io_error`, `too_large`, `not_midi`, `truncated_header`, "
     "`no_tracks`, `strict_violation`, `changed_while_reading` (the file was being written during the scan; the "
     "next scan retries it), `internal_error`",
     [](const R& r) { return text_or_null(r.error_code); }},
    {"error", Text, "", 1, "", "for failed files: a sentence naming the problem and the byte offset",
     [](const R& r) { return text_or_null(r.error); }},
    {"riff", Integer, "NOT NULL DEFAULT 0", 1, "", "1 when the SMF was inside a RIFF RMID wrapper",
     [](const R& r) { return v(r.riff); }},
    {"format", Integer, "", 1, "", "SMF format as written (0, 1, 2)", fact<&FileFacts::format>},
    {"tracks", Integer, "", 1, "", "MTrk chunks read", fact<&FileFacts::tracks>},
    {"ppq", Integer, "", 1, "ticks per quarter note", "division: ticks per quarter note; NULL for SMPTE division",
     division<&FileFacts::ppq, false>},
    {"smpte_fps", Integer, "", 1, "frames per second", "SMPTE division: frames per second; NULL for metrical division",
     division<&FileFacts::smpte_fps, true>},
    {"ticks_per_frame", Integer, "", 1, "ticks", "SMPTE division: ticks per frame; NULL for metrical division",
     division<&FileFacts::ticks_per_frame, true>},
    {"note_on_events", Integer, "", 1, "events", "note-on events with velocity > 0", fact<&FileFacts::note_on_events>},
    {"channel_events", Integer, "", 1, "events", "channel voice and mode messages", fact<&FileFacts::channel_events>},
    {"meta_events", Integer, "", 1, "events", "meta events, End of Track included", fact<&FileFacts::meta_events>},
    {"sysex_events", Integer, "", 1, "events", "F0 and F7 events", fact<&FileFacts::sysex_events>},
    {"end_tick", Integer, "", 1, "ticks", "largest absolute tick of any track's last event", fact<&FileFacts::end_tick>},
    {"duration_seconds", Real, "", 1, "seconds",
     "`end_tick` through the tempo map of all tracks; NULL for format 2 and SMPTE", fact<&FileFacts::duration_seconds>},
    {"tempo_changes", Integer, "", 1, "events", "set-tempo meta events", fact<&FileFacts::tempo_changes>},
    {"initial_bpm", Real, "", 1, "BPM", "60e6 / the first set-tempo at tick 0 in track order, else 120",
     fact<&FileFacts::initial_bpm>},
    {"pitch_min", Integer, "", 1, "MIDI note number", "lowest pitch over note-ons; NULL without notes",
     fact<&FileFacts::pitch_min>, [](const R& r) { return note_text(*r.facts->pitch_min); }},
    {"pitch_max", Integer, "", 1, "MIDI note number", "highest pitch over note-ons; NULL without notes",
     fact<&FileFacts::pitch_max>, [](const R& r) { return note_text(*r.facts->pitch_max); }},
    {"channels", Json, "", 1, "",
     "JSON array of channels with channel events, numbered 0-15 as on the wire (`[0,9]`: channels 1 and 10; "
     "`midisift info` shows 1-16)",
     [](const R& r) { return r.facts ? Value(channels_json(r.facts->channel_mask)) : Value{}; },
     [](const R& r) { return channels_text(r.facts->channel_mask); }},
    {"diagnostic_count", Integer, "NOT NULL DEFAULT 0", 1, "rows", "rows in `diagnostics` for this file",
     [](const R& r) { return v(r.diagnostics.size()); }},
    {"scanned_at", Text, "NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", 1, "UTC",
     "time the row was written", nullptr},

    // Schema 2: the musical analysis (libanalyze/include/midisift/analyze/music.hpp).
    {"tempo_min_bpm", Real, "", 2, "BPM", "slowest tempo in force before `end_tick` (tempo map of all tracks)",
     music<&MusicalFacts::tempo_min_bpm>},
    {"tempo_max_bpm", Real, "", 2, "BPM", "fastest tempo in force before `end_tick` (tempo map of all tracks)",
     music<&MusicalFacts::tempo_max_bpm>},
    {"tempo_mean_bpm", Real, "", 2, "BPM", "time-weighted mean: quarter notes per minute over the file",
     music<&MusicalFacts::tempo_mean_bpm>},
    {"estimated_bpm", Real, "", 2, "BPM",
     "tempo from the note onsets alone (sparse onset autocorrelation, Brown 1993 / Ellis 2007; a performance's "
     "onsets weighted by learned beat salience, its tempo the median over 8 s windows), for files whose tempo map "
     "is absent or meaningless (performances stored at 120 BPM); a quantised file whose onsets' periodicity is a "
     "metrical level of its notated beat (x1, x2, x3 or inverses, 4 %) counts that beat (`beat_bpm`)",
     [](const R& r) { return estimated_tempo(r, [](const auto& t) { return t.bpm; }); }},
    {"estimated_bpm_confidence", Real, "", 2, "0-1",
     "margin of the winner over the best tempo not at the same, double or half tempo",
     [](const R& r) { return estimated_tempo(r, [](const auto& t) { return t.confidence; }); }},
    {"time_signature", Text, "", 2, "",
     "first time signature, e.g. `3/4`; NULL without one (SMF 1.0 then assumes 4/4)",
     [](const R& r) {
       if (!r.music || !r.music->time_signature) return Value{};
       return Value(fmt::format("{}/{}", r.music->time_signature->numerator, r.music->time_signature->denominator));
     }},
    {"time_signature_changes", Integer, "", 2, "events", "time-signature meta events",
     music<&MusicalFacts::time_signature_changes>},
    {"key_signature", Text, "", 2, "",
     "first key signature meta event as the key its sharps or flats spell, e.g. `Eb major` (3 flats), `C# minor`",
     [](const R& r) { return r.music && r.music->key_signature ? v(r.music->key_signature->name()) : Value{}; }},
    {"key_signature_changes", Integer, "", 2, "events", "key-signature meta events",
     music<&MusicalFacts::key_signature_changes>},
    {"estimated_key_tonic", Integer, "", 2, "pitch class",
     "key estimate (schema 6 on: five published profiles, the opening and ending, the final bass and a non-C key "
     "signature; before: Krumhansl-Schmuckler with Temperley's profiles): pitch class 0-11, C = 0",
     [](const R& r) { return estimated_key(r, [](const auto& k) { return k.key.tonic; }); }},
    {"estimated_key_mode", Text, "", 2, "", "`major` or `minor`",
     [](const R& r) { return estimated_key(r, [](const auto& k) { return analyze::to_string(k.key.mode); }); }},
    {"estimated_key_confidence", Real, "", 2, "Pearson r",
     "correlation of the duration profile with the key's (mean over the five profiles); its probability is "
     "`estimated_key_probability`",
     [](const R& r) { return estimated_key(r, [](const auto& k) { return k.correlation; }); }},
    {"estimated_key_runner_up", Text, "", 2, "", "second-best key, e.g. `A minor`",
     [](const R& r) { return estimated_key(r, [](const auto& k) { return analyze::key_name(k.runner_up); }); }},
    {"estimated_key_runner_up_confidence", Real, "", 2, "Pearson r", "correlation of the runner-up key (mean)",
     [](const R& r) { return estimated_key(r, [](const auto& k) { return k.runner_up_correlation; }); }},
    {"notes", Integer, "", 2, "notes", "notes paired from note-on/off (FIFO per track, channel and pitch)",
     music<&MusicalFacts::notes>},
    {"drum_notes", Integer, "", 2, "notes", "notes on the drum channel (channel 10, index 9)",
     music<&MusicalFacts::drum_notes>},
    {"unmatched_note_offs", Integer, "", 2, "events", "note-offs with no sounding note",
     music<&MusicalFacts::unmatched_note_offs>},
    {"notes_open_at_track_end", Integer, "", 2, "notes", "notes never released (ended at their track's end)",
     music<&MusicalFacts::notes_open_at_track_end>},
    {"pitch_mean", Real, "", 2, "MIDI note number", "mean pitch, drums excluded", music<&MusicalFacts::pitch_mean>},
    {"velocity_mean", Real, "", 2, "velocity", "mean note-on velocity, all notes", music<&MusicalFacts::velocity_mean>},
    {"velocity_std", Real, "", 2, "velocity", "population standard deviation of note-on velocity, all notes",
     music<&MusicalFacts::velocity_std>},
    {"pitch_class_histogram", Json, "", 2, "notes", "JSON array of 12 note counts, C first, drums excluded",
     [](const R& r) { return r.music ? Value(json_array(r.music->pitch_class_histogram)) : Value{}; }},
    {"polyphony_max", Integer, "", 2, "notes", "most notes sounding at once (drums excluded)",
     music<&MusicalFacts::polyphony_max>},
    {"polyphony_mean", Real, "", 2, "notes", "mean notes sounding over the time any sounds (drums excluded)",
     music<&MusicalFacts::polyphony_mean>},
    {"notes_per_second", Real, "", 2, "notes per second",
     "`notes / last_note_seconds`: the rate over the music (before schema 5 rows: over `duration_seconds`)",
     music<&MusicalFacts::notes_per_second>},
    {"gm_families", Json, "", 2, "", "JSON array of General MIDI families with notes, plus `Drums`",
     [](const R& r) { return r.music ? Value(json_array(r.music->gm_families())) : Value{}; }},
    {"track_names", Json, "", 2, "",
     "JSON array: each track's first Sequence/Track Name (UTF-8; Latin-1 when not UTF-8), `\"\"` if none",
     [](const R& r) {
       if (!r.music) return Value{};
       auto names = nlohmann::json::array();
       for (const auto& n : r.music->track_names) names.push_back(std::string_view(n));
       return Value(json_array(names));
     }},
    {"has_lyrics", Integer, "", 2, "", "a Lyric (FF 05) meta event, or karaoke text (`lyrics`), is present",
     music<&MusicalFacts::has_lyrics>},
    {"has_text", Integer, "", 2, "", "a Text (FF 01) meta event is present", music<&MusicalFacts::has_text>},
    // MusPy's metrics with MusPy's definitions (Dong et al., ISMIR 2020); NULL where MusPy gives NaN.
    // Exact definitions: libanalyze/include/midisift/analyze/metrics.hpp.
    {"pitch_range_span", Integer, "", 2, "semitones",
     "MusPy's `pitch_range`: highest minus lowest pitch, drums excluded (named `pitch_range` before schema 5)",
     metric<&MuspyMetrics::pitch_range>},
    {"n_pitches_used", Integer, "", 2, "", "MusPy `n_pitches_used`: distinct pitches, drums excluded",
     metric<&MuspyMetrics::n_pitches_used>},
    {"n_pitch_classes_used", Integer, "", 2, "", "MusPy `n_pitch_classes_used`: distinct pitch classes, drums excluded",
     metric<&MuspyMetrics::n_pitch_classes_used>},
    {"polyphony", Real, "", 2, "notes", "MusPy `polyphony`: mean distinct pitches sounding over the ticks where any sounds (drums ignored)",
     metric<&MuspyMetrics::polyphony>},
    {"polyphony_rate", Real, "", 2, "0-1", "MusPy `polyphony_rate`: share of ticks up to the last note end where more than 2 distinct pitches sound",
     metric<&MuspyMetrics::polyphony_rate>},
    {"pitch_in_scale_rate", Real, "", 2, "0-1",
     "MusPy `pitch_in_scale_rate`: share of non-drum notes in the scale of the estimated key (major, or natural minor)",
     metric<&MuspyMetrics::pitch_in_scale_rate>},
    {"scale_consistency", Real, "", 2, "0-1", "MusPy `scale_consistency`: the largest pitch-in-scale rate over the 24 major and natural-minor scales",
     metric<&MuspyMetrics::scale_consistency>},
    {"pitch_entropy", Real, "", 2, "bits", "MusPy `pitch_entropy`: Shannon entropy of the note-count pitch histogram",
     metric<&MuspyMetrics::pitch_entropy>},
    {"pitch_class_entropy", Real, "", 2, "bits", "MusPy `pitch_class_entropy`: Shannon entropy over the 12 pitch classes",
     metric<&MuspyMetrics::pitch_class_entropy>},
    {"empty_beat_rate", Real, "", 2, "0-1", "MusPy `empty_beat_rate`: share of beats (ppq ticks) in which no note, drums included, sounds",
     metric<&MuspyMetrics::empty_beat_rate>},
    {"drum_in_pattern_rate", Real, "", 2, "0-1",
     "MusPy `drum_in_pattern_rate`: share of drum notes on the duple grid (beat positions 0, 1/4, 1/2, 3/4)",
     metric<&MuspyMetrics::drum_in_pattern_rate>},
    {"drum_pattern_consistency", Real, "", 2, "0-1",
     "MusPy `drum_pattern_consistency`: the larger of the duple and triple drum-in-pattern rates",
     metric<&MuspyMetrics::drum_pattern_consistency>},
    {"groove_consistency", Real, "", 2, "0-1",
     "MusPy `groove_consistency`: 1 - mean Hamming distance of neighbouring bars' onset patterns (bars of the "
     "first time signature)",
     metric<&MuspyMetrics::groove_consistency>},
    {"fingerprint", Text, "", 2, "",
     "128-bit content fingerprint (hex): equal for files with the same notes (onset, duration, pitch, drum flag) "
     "at the same score positions, whatever their track order, names, meta events, encoding or ppq",
     [](const R& r) {
       return r.music && r.music->fingerprint ? Value(analyze::to_hex(*r.music->fingerprint)) : Value{};
     }},
    {"loop_count", Integer, "", 2, "rows", "rows in `loops`",
     [](const R& r) { return r.music ? v(r.music->loops.size()) : Value{}; }},

    // Schema 3: incremental scans.
    {"missing_since", Text, "", 3, "UTC",
     "time a scan of the file's folder first no longer found it; NULL while it exists. The row keeps its facts; "
     "it is rewritten if the file comes back",
     nullptr},

    // Schema 4.
    {"last_note_seconds", Real, "", 4, "seconds",
     "end of the last note to end (its note-off) through the tempo map: how long the music lasts, without the "
     "silence a late End of Track adds to `duration_seconds`; NULL without notes and where `duration_seconds` is",
     music<&MusicalFacts::last_note_seconds>},

    // Schema 5.
    {"lyrics", Text, "", 5, "",
     "the words as sung: Lyric events (FF 05) in tick order, else the karaoke text of a .kar file (Text events "
     "of the \"Words\" track or after an `@K` header; `\\` starts a paragraph, `/` a line); NULL without any",
     [](const R& r) { return r.music ? text_or_null(r.music->lyrics) : Value{}; },
     [](const R& r) { return one_line(r.music->lyrics, 72); }},

    // Schema 6: key with evidence beyond the profile, key regions, the counted beat, NOMML, chords.
    {"estimated_key_probability", Real, "", 6, "0-1",
     "probability that `estimated_key_*` is right: softmax of the 24 keys' scores (calibrated on ASAP: "
     "tests/analyze/asap_test.cpp)",
     [](const R& r) { return estimated_key(r, [](const auto& k) { return k.confidence; }); }},
    {"key_changes", Integer, "", 6, "changes",
     "key changes of the windowed key (8-bar windows, Viterbi over 24 keys): rows in `key_regions` - 1; NULL "
     "without notes or a bar grid",
     music<&MusicalFacts::key_changes>},
    {"beat_bpm", Real, "", 6, "BPM",
     "tempo at the counted beat: for a quantised file, 60 / the median length of its notated beats through the "
     "tempo map (the denominator's note, the dotted beat of 6/8, 6/4, 9/8, 12/8), else `estimated_bpm`",
     [](const R& r) { return r.music && r.music->beat_tempo ? v(r.music->beat_tempo->bpm) : Value{}; }},
    {"beat_bpm_above", Real, "", 6, "BPM", "tempo of the metrical level above the beat (half bar or bar of the prevailing time signature)",
     [](const R& r) { return r.music && r.music->beat_tempo ? v(r.music->beat_tempo->above_bpm) : Value{}; }},
    {"beat_bpm_below", Real, "", 6, "BPM", "tempo of the level below the beat (its subdivision: x2, x3 compound)",
     [](const R& r) { return r.music && r.music->beat_tempo ? v(r.music->beat_tempo->below_bpm) : Value{}; }},
    {"beat_bpm_source", Text, "", 6, "", "`meter` (time signature and tempo map) or `onsets` (`estimated_bpm`)",
     [](const R& r) {
       return r.music && r.music->beat_tempo ? Value(std::string(r.music->beat_tempo->from_meter ? "meter" : "onsets"))
                                             : Value{};
     }},
    {"nomml", Json, "", 6, "metric level 0-12",
     "note onset median metric level per track (GigaMIDI, Lee et al. 2025), `null` for a track without notes: "
     "0 = quarter-note grid ... 11 = 256th notes, 12 = off every grid",
     [](const R& r) {
       if (!r.music || r.music->nomml.empty()) return Value{};
       auto a = nlohmann::json::array();
       for (const auto& x : r.music->nomml) a.push_back(x ? nlohmann::json(*x) : nlohmann::json(nullptr));
       return Value(json_array(a));
     }},
    {"expressive", Integer, "", 6, "0/1",
     "1: an expressive performance (tracks with NOMML 12 hold most notes), 0: a quantised sequence; NULL without "
     "notes or a ppq grid",
     music<&MusicalFacts::expressive>},
    {"chord_count", Integer, "", 6, "segments", "segments in `chord_segments` (runs of one label merged)",
     [](const R& r) { return r.music ? v(r.music->chords.size()) : Value{}; }},
    {"chord_segments", Json, "", 6, "",
     "chords of a quantised file on its beat grid (`beat_seconds`), by a beat-synchronous template HMM (Sheh & Ellis 2003), one array per segment: [start_tick, "
     "start_seconds, label (Harte 2005: `Bb:maj7`, `F:maj/3`, `N`), root, quality, bass] (pitch classes, C = 0; "
     "null for `N`); the `chords` view has a row per segment. NULL for performances and without a bar grid",
     [](const R& r) {
       if (!r.music || r.music->chords.empty()) return Value{};
       // The writer's thread runs this: one buffer, format strings compiled (FMT_COMPILE), no string
       // per segment; the same text as fmt::format.
       fmt::memory_buffer b;
       b.reserve(48 * r.music->chords.size() + 2);
       auto out = fmt::appender(b);
       b.push_back('[');
       for (const auto& c : r.music->chords) {
         if (b.size() > 1) b.push_back(',');
         if (c.chord) {
           fmt::format_to(out, FMT_COMPILE(R"([{},{},"{}",{},"{}",{}])"), c.start_tick, c.start_seconds,
                          analyze::chord_label(*c.chord), c.chord->root, analyze::to_string(c.chord->quality),
                          c.chord->bass);
         } else {
           fmt::format_to(out, FMT_COMPILE(R"([{},{},"N",null,null,null])"), c.start_tick, c.start_seconds);
         }
       }
       b.push_back(']');
       return Value(fmt::to_string(b));
     },
     [](const R& r) {
       std::string s;
       std::size_t shown = 0;
       for (const auto& c : r.music->chords) {
         if (shown == 16) {
           s += fmt::format(" ... ({} in all)", r.music->chords.size());
           break;
         }
         if (!s.empty()) s += ' ';
         s += analyze::chord_label(c.chord);
         ++shown;
       }
       return s;
     }},
    {"analysis_version", Integer, "", 7, "",
     "the version of midisift's analysis that wrote the row (`scan::kAnalysisVersion`, raised whenever a release "
     "changes a fact): a scan analyses the file again when its row holds an older one, or NULL (written before "
     "schema 7)",
     [](const R&) { return Value{kAnalysisVersion}; }},

    // Schema 8: the grid's phase and the beat grid (issue 33, analysis version 4).
    {"grid_offset_ticks", Integer, "", 8, "ticks",
     "phase of a quantised file's quarter-note grid: its beats fall this many ticks (0 .. ppq - 1) after the notated "
     "ones (the most common sixteenth residue of the onsets, then the quarter holding the most note duration; 0 "
     "unless another phase holds clearly more). NOMML, `expressive`, the beats, bars, chords, key regions and loops "
     "are measured on the shifted grid. NULL for performances, without notes and for SMPTE division",
     music<&MusicalFacts::grid_offset_ticks>},
    {"beat_seconds", Json, "", 8, "seconds",
     "the beat grid the chords stand on, seconds through the tempo map (ms precision): the notated beats shifted by "
     "`grid_offset_ticks`; the `beats` view has a row per beat. NULL where `chord_segments` is",
     [](const R& r) { return beat_seconds(r, false); },
     [](const R& r) {
       std::size_t bars = 0;
       for (const auto& beat : r.music->beats) bars += beat.downbeat ? 1 : 0;
       return fmt::format("{} beats, {} bars", r.music->beats.size(), bars);
     }},
    {"downbeat_seconds", Json, "", 8, "seconds",
     "the beats of `beat_seconds` that start a bar: the notated bar lines, or, where those cannot be trusted (a grid "
     "out of phase with its notation, a signature of one beat a bar), every 4th beat (3rd in 3/4) from the phase "
     "at which the harmony changes most",
     [](const R& r) { return beat_seconds(r, true); },
     nullptr},
};

// Columns are only ever appended, so a database created new and one migrated step by step have
// the same column order.
constexpr bool appended_in_version_order() {
  for (std::size_t i = 1; i < std::size(kColumns); ++i) {
    if (kColumns[i].since < kColumns[i - 1].since) return false;
  }
  return true;
}
static_assert(appended_in_version_order());

nlohmann::json json_of(const Column& c, const Value& value) {
  return std::visit(
      [&](const auto& x) -> nlohmann::json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, std::string>) {
          return c.type == Json ? nlohmann::json::parse(x) : nlohmann::json(x);
        } else {
          return x;
        }
      },
      value);
}

std::string text_of(const Value& value) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "NULL";
        } else if constexpr (std::is_same_v<T, double>) {
          return fmt::format("{:.6g}", x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else {
          return std::to_string(x);
        }
      },
      value);
}

}  // namespace

std::string_view sql_type(ColumnType type) noexcept {
  switch (type) {
    case Integer: return "INTEGER";
    case Real: return "REAL";
    case Text:
    case Json: return "TEXT";
  }
  return "TEXT";
}

std::span<const Column> file_columns() noexcept { return kColumns; }

nlohmann::json to_json(const FileResult& r) {
  auto j = nlohmann::json::object();
  for (const auto& c : kColumns) {
    if (c.value != nullptr) j[std::string(c.name)] = json_of(c, c.value(r));
  }
  j["estimated_key"] = r.music && r.music->estimated_key ? nlohmann::json(analyze::key_name(r.music->estimated_key->key))
                                                         : nlohmann::json(nullptr);
  auto instruments = nlohmann::json::array();
  auto loops = nlohmann::json::array();
  if (r.music) {
    for (const auto& u : r.music->instruments) {
      instruments.push_back({{"track", u.track},
                             {"channel", u.channel},
                             {"program", u.program},
                             {"name", analyze::instrument_name(u)},
                             {"family", analyze::instrument_family(u)},
                             {"first_tick", u.first_tick},
                             {"notes", u.notes}});
    }
    for (const auto& l : r.music->loops) {
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
  }
  j["instruments"] = std::move(instruments);
  j["loops"] = std::move(loops);
  auto regions = nlohmann::json::array();
  if (r.music) {
    for (const auto& k : r.music->key_regions) {
      regions.push_back({{"start_bar", k.start_bar},
                         {"start_tick", k.start_tick},
                         {"start_seconds", k.start_seconds},
                         {"key", analyze::key_name(k.key)},
                         {"confidence", k.confidence}});
    }
  }
  j["key_regions"] = std::move(regions);
  auto diags = nlohmann::json::array();
  for (const auto& d : r.diagnostics) {
    diags.push_back({{"code", parse::to_string(d.code)},
                     {"track", d.track == parse::kFileLevel ? nlohmann::json(nullptr) : nlohmann::json(d.track)},
                     {"offset", d.offset}});
  }
  j["diagnostics"] = std::move(diags);
  return j;
}

std::string to_text(const FileResult& r) {
  std::size_t width = 0;
  for (const auto& c : kColumns) width = std::max(width, c.name.size());
  width += 2;  // "name: "
  std::string s = r.path + '\n';
  const auto line = [&](std::string_view name, std::string_view value) {
    s += fmt::format("  {:<{}}{}\n", fmt::format("{}:", name), width, value);
  };
  for (const auto& c : kColumns) {
    if (c.value == nullptr || c.name == "path") continue;
    const Value value = c.value(r);
    if (std::holds_alternative<std::monostate>(value)) continue;
    line(c.name, c.text != nullptr ? c.text(r) : text_of(value));
  }
  if (r.music && r.music->estimated_key) {
    const auto& k = *r.music->estimated_key;
    line("estimated_key", fmt::format("{} (p = {:.2f}, r = {:.3f}; runner-up {}, r = {:.3f})",
                                      analyze::key_name(k.key), k.confidence, k.correlation,
                                      analyze::key_name(k.runner_up), k.runner_up_correlation));
  }
  if (r.music && r.music->key_regions.size() > 1) {
    std::string regions;
    for (const auto& k : r.music->key_regions) {
      if (!regions.empty()) regions += ", ";
      regions += fmt::format("{} from bar {}", analyze::key_name(k.key), k.start_bar + 1);
    }
    line("key_regions", regions);
  }
  if (r.music) {
    for (const auto& u : r.music->instruments) {
      s += fmt::format("  instrument: {} ({}), track {}, channel {}, program {}, {} notes from tick {}\n",
                       analyze::instrument_name(u), analyze::instrument_family(u), u.track, u.channel + 1,
                       u.program, u.notes, u.first_tick);
    }
    for (const auto& l : r.music->loops) {
      s += fmt::format("  loop: track {}, {} bar{} from bar {}, x{}{}{}\n", l.track, l.bars, l.bars == 1 ? "" : "s",
                       l.start_bar + 1, l.repeats, l.exact ? ", exact" : "", l.drum ? ", drums" : "");
    }
  }
  for (const auto& d : r.diagnostics) {
    if (d.track == parse::kFileLevel) {
      s += fmt::format("  repair: {} at byte {}\n", parse::to_string(d.code), d.offset);
    } else {
      s += fmt::format("  repair: {} in track {} at byte {}\n", parse::to_string(d.code), d.track, d.offset);
    }
  }
  return s;
}

std::string columns_markdown() {
  std::string s = "| column | type | unit | since | meaning |\n|---|---|---|---|---|\n";
  for (const auto& c : kColumns) {
    std::string type(sql_type(c.type));
    if (c.type == Json) type += " (JSON)";
    s += fmt::format("| `{}` | {} | {} | {} | {} |\n", c.name, type, c.unit, c.since, c.meaning);
  }
  return s;
}

}  // namespace midisift::scan
