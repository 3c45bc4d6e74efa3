#include "midisift/analyze/music.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <tuple>

#include "midisift/analyze/beat_salience.hpp"

namespace midisift::analyze {

namespace {

using parse::MetaType;
constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

constexpr std::string_view kFamilies[16] = {
    "Piano", "Chromatic Percussion", "Organ",      "Guitar",     "Bass",         "Strings",
    "Ensemble", "Brass",             "Reed",       "Pipe",       "Synth Lead",   "Synth Pad",
    "Synth Effects", "Ethnic",       "Percussive", "Sound Effects"};

constexpr std::string_view kPrograms[128] = {
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano", "Electric Piano 1",
    "Electric Piano 2", "Harpsichord", "Clavi", "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba",
    "Xylophone", "Tubular Bells", "Dulcimer", "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ",
    "Reed Organ", "Accordion", "Harmonica", "Tango Accordion", "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)",
    "Electric Guitar (jazz)", "Electric Guitar (clean)", "Electric Guitar (muted)", "Overdriven Guitar",
    "Distortion Guitar", "Guitar harmonics", "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)",
    "Fretless Bass", "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2", "Violin", "Viola", "Cello",
    "Contrabass", "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani", "String Ensemble 1",
    "String Ensemble 2", "SynthStrings 1", "SynthStrings 2", "Choir Aahs", "Voice Oohs", "Synth Voice",
    "Orchestra Hit", "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "SynthBrass 1",
    "SynthBrass 2", "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon",
    "Clarinet", "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
    "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)", "Pad 1 (new age)", "Pad 2 (warm)",
    "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)",
    "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)", "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bag pipe",
    "Fiddle", "Shanai", "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom",
    "Synth Drum", "Reverse Cymbal", "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot"};

// Text meta payloads: kept when valid UTF-8, else read as Latin-1 (the common 8-bit encoding of
// older files) so that the database always holds valid UTF-8.
bool valid_utf8(std::span<const std::byte> b) noexcept {
  const std::size_t n = b.size();
  auto at = [&](std::size_t i) { return std::to_integer<unsigned>(b[i]); };
  for (std::size_t i = 0; i < n;) {
    const unsigned c = at(i);
    std::size_t extra = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte (no overlongs, no surrogates)
    if (c < 0x80) extra = 0;
    else if (c >= 0xC2 && c <= 0xDF) extra = 1;
    else if (c >= 0xE0 && c <= 0xEF) { extra = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { extra = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return false;
    if (i + extra >= n && extra > 0) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const unsigned x = at(i + k);
      if (k == 1 ? (x < lo || x > hi) : (x & 0xC0U) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

// Text meta payloads: kept when valid UTF-8, else read as Latin-1 (the common 8-bit encoding of
// older files) so that the database always holds valid UTF-8. NULs and trailing blanks dropped.
std::pmr::string text_of(std::span<const std::byte> bytes, std::pmr::memory_resource* mr) {
  const bool utf8 = valid_utf8(bytes);
  std::pmr::string s(mr);
  s.reserve(bytes.size());
  for (const auto b : bytes) {
    const auto c = std::to_integer<unsigned char>(b);
    if (c == 0) continue;
    if (utf8 || c < 0x80) {
      s.push_back(static_cast<char>(c));
    } else {
      s.push_back(static_cast<char>(0xC0 | (c >> 6)));
      s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.pop_back();
  return s;
}

struct ProgramChange {
  std::uint32_t tick;
  std::uint8_t channel;
  std::uint8_t program;
};

}  // namespace

std::string_view gm_family(std::uint8_t program) noexcept { return kFamilies[(program & 0x7F) / 8]; }
std::string_view gm_program_name(std::uint8_t program) noexcept { return kPrograms[program & 0x7F]; }

std::string_view instrument_name(const InstrumentUse& u) noexcept {
  return u.channel == kDrumChannel ? std::string_view("Drum Kit") : gm_program_name(u.program);
}
std::string_view instrument_family(const InstrumentUse& u) noexcept {
  return u.channel == kDrumChannel ? std::string_view("Drums") : gm_family(u.program);
}

std::vector<std::string_view> MusicalFacts::gm_families() const {
  std::vector<std::string_view> out;
  for (unsigned f = 0; f < 16; ++f) {
    if ((gm_family_mask & (1U << f)) != 0) out.push_back(kFamilies[f]);
  }
  if (drum_notes > 0) out.emplace_back("Drums");
  return out;
}

Key KeySignature::key() const noexcept {
  // Each sharp moves the major tonic a fifth (7 semitones) up; the relative minor is 3 below.
  const int major = ((sharps * 7) % 12 + 12) % 12;
  return mode == Mode::Major ? Key{static_cast<std::uint8_t>(major), Mode::Major}
                             : Key{static_cast<std::uint8_t>((major + 9) % 12), Mode::Minor};
}

std::string_view KeySignature::name() const noexcept {
  // Index sharps + 7: 7 flats (Cb major / Ab minor) to 7 sharps (C# major / A# minor).
  static constexpr std::string_view kMajor[15] = {"Cb major", "Gb major", "Db major", "Ab major", "Eb major",
                                                  "Bb major", "F major",  "C major",  "G major",  "D major",
                                                  "A major",  "E major",  "B major",  "F# major", "C# major"};
  static constexpr std::string_view kMinor[15] = {"Ab minor", "Eb minor", "Bb minor", "F minor",  "C minor",
                                                  "G minor",  "D minor",  "A minor",  "E minor",  "B minor",
                                                  "F# minor", "C# minor", "G# minor", "D# minor", "A# minor"};
  const auto i = static_cast<std::size_t>(std::clamp<int>(sharps, -7, 7) + 7);
  return mode == Mode::Major ? kMajor[i] : kMinor[i];
}

namespace {

// A text or lyric event kept for the lyrics: where it is, for the tick order across tracks.
struct Syllable {
  std::uint32_t tick;
  std::uint32_t track;
  std::span<const std::byte> text;
};

bool starts_with(std::span<const std::byte> b, std::string_view prefix) noexcept {
  if (b.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::to_integer<char>(b[i]) != prefix[i]) return false;
  }
  return true;
}

// The words of `lyrics` (FF 05) or, without any, of the karaoke text (see MusicalFacts::lyrics).
std::pmr::string join_lyrics(std::pmr::vector<Syllable>& lyrics, std::pmr::vector<Syllable>& texts,
                             std::span<const std::pmr::string> track_names, bool karaoke_header,
                             std::pmr::memory_resource* mr) {
  const auto by_tick = [](const Syllable& a, const Syllable& b) { return a.tick < b.tick; };
  std::pmr::string out(mr);
  const auto append = [&](std::span<const std::byte> bytes) {
    // text_of drops trailing blanks; between syllables a trailing space separates words: keep one.
    std::pmr::string piece = text_of(bytes, mr);
    const bool spaced = !bytes.empty() && std::to_integer<char>(bytes.back()) == ' ';
    out += piece;
    if (spaced && !piece.empty()) out += ' ';
  };
  if (!lyrics.empty()) {
    std::stable_sort(lyrics.begin(), lyrics.end(), by_tick);
    for (const auto& l : lyrics) {
      auto bytes = l.text;
      bool newline = false;
      while (!bytes.empty() && (std::to_integer<char>(bytes.back()) == '\r' || std::to_integer<char>(bytes.back()) == '\n')) {
        bytes = bytes.first(bytes.size() - 1);
        newline = true;
      }
      append(bytes);
      if (newline) out += '\n';
    }
  } else {
    std::optional<std::uint32_t> words;
    for (std::uint32_t t = 0; t < track_names.size(); ++t) {
      std::string name(track_names[t]);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (name == "words") words = t;
    }
    if (!words && !karaoke_header) return out;
    std::stable_sort(texts.begin(), texts.end(), by_tick);
    for (const auto& x : texts) {
      if (words && x.track != *words) continue;
      auto bytes = x.text;
      if (starts_with(bytes, "@")) continue;  // header: @KMIDI KARAOKE FILE, @V version, @T title, ...
      if (starts_with(bytes, "\\")) {
        if (!out.empty()) out += "\n\n";
        bytes = bytes.subspan(1);
      } else if (starts_with(bytes, "/")) {
        if (!out.empty()) out += '\n';
        bytes = bytes.subspan(1);
      }
      append(bytes);
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  return out;
}

}  // namespace

KeyEvidence key_evidence(std::span<const Note> notes, std::uint16_t ppq, double sec_per_tick,
                         std::optional<KeySignature> signature) {
  KeyEvidence e;
  std::array<double, 12> counts{};
  for (const auto& n : notes) {
    if (n.drum()) continue;
    e.profile[n.pitch % 12] += n.duration();
    ++counts[n.pitch % 12];
  }
  // A profile of zero durations (all notes zero-length) still has counts.
  if (std::all_of(e.profile.begin(), e.profile.end(), [](double x) { return x == 0.0; })) e.profile = counts;
  if (signature) e.key_signature_sharps = signature->sharps;
  std::uint32_t quarter = ppq;
  if (ppq == 0) quarter = sec_per_tick > 0 ? static_cast<std::uint32_t>(std::clamp(0.5 / sec_per_tick, 1.0, 1e9)) : 1;
  const std::uint64_t window = std::uint64_t{quarter} * 4;
  std::optional<std::uint32_t> first_onset, last_onset;
  std::uint32_t last_end = 0;
  for (const auto& n : notes) {
    if (n.drum()) continue;
    if (!first_onset) first_onset = n.onset;
    last_onset = n.onset;
    last_end = std::max(last_end, n.end);
  }
  if (!first_onset) return e;
  const std::uint64_t open_until = *first_onset + window;
  const std::uint64_t end_from = last_end > window ? last_end - window : 0;
  const std::uint32_t final_from = *last_onset > quarter / 2 ? *last_onset - quarter / 2 : 0;
  std::uint8_t lowest = 128;
  for (const auto& n : notes) {
    if (n.drum()) continue;
    const std::size_t pc = n.pitch % 12;
    if (n.onset < open_until) e.opening[pc] += static_cast<double>(std::min<std::uint64_t>(n.end, open_until) - n.onset);
    if (n.end > end_from) e.ending[pc] += static_cast<double>(n.end - std::max<std::uint64_t>(n.onset, end_from));
    if (n.onset >= final_from) lowest = std::min(lowest, n.pitch);
  }
  if (lowest < 128) e.final_bass = static_cast<std::uint8_t>(lowest % 12);
  return e;
}

namespace {

// The windowed key of the file, 8 bars a window (see MusicalFacts::key_regions).
void key_regions(std::span<const Note> notes, std::span<const std::uint32_t> bars, const TempoMap& tempo_map,
                 std::pmr::memory_resource* mr, MusicalFacts& m) {
  constexpr std::size_t kBarsPerWindow = 8;
  if (bars.empty()) return;
  const std::size_t n_windows = (bars.size() + kBarsPerWindow - 1) / kBarsPerWindow;
  // Memory in proportion to the notes: a few notes spread over a huge bar grid get no regions.
  if (n_windows > notes.size() + 1) return;
  // Each note adds its duration within each window it sounds in. A note held over many windows
  // adds a window's whole length to each window between its first and last: counted through a
  // difference array, so time is O(notes + windows), not notes x windows (notes never released).
  // Durations are whole ticks summed as integers: the same sums as adding them one by one.
  std::pmr::vector<std::uint32_t> starts(n_windows, 0, mr);
  for (std::size_t w = 0; w < n_windows; ++w) starts[w] = bars[w * kBarsPerWindow];
  std::pmr::vector<std::array<std::uint64_t, 12>> partial(n_windows, std::array<std::uint64_t, 12>{}, mr);
  std::pmr::vector<std::array<std::int64_t, 12>> held(n_windows + 1, std::array<std::int64_t, 12>{}, mr);
  // The part of [onset, end) inside window w (the last window has no end).
  auto add_part = [&](std::size_t w, const Note& n) {
    const std::uint32_t lo = std::max(n.onset, starts[w]);
    const std::uint32_t hi = w + 1 < n_windows ? std::min(n.end, starts[w + 1]) : n.end;
    if (hi > lo) partial[w][n.pitch % 12] += hi - lo;
  };
  std::size_t bar = 0;  // a forward cursor: notes come in onset order
  for (const auto& n : notes) {
    if (n.drum() || n.end <= n.onset) continue;
    while (bar + 1 < bars.size() && bars[bar + 1] <= n.onset) ++bar;
    const std::size_t first = bar / kBarsPerWindow;
    // The window holding the note's end: the first whose successor starts at or after it. Most
    // notes end in the window they start in or the next: those two are tried before a search.
    std::size_t last = first;
    if (first + 1 < n_windows && starts[first + 1] < n.end) {
      last = first + 1;
      if (first + 2 < n_windows && starts[first + 2] < n.end) {
        const auto after = std::lower_bound(starts.begin() + static_cast<std::ptrdiff_t>(first) + 3, starts.end(), n.end);
        last = static_cast<std::size_t>(after - starts.begin()) - 1;
      }
    }
    add_part(first, n);
    if (last == first) continue;
    if (last > first + 1) {
      ++held[first + 1][n.pitch % 12];
      --held[last][n.pitch % 12];
    }
    add_part(last, n);
  }
  std::pmr::vector<std::array<double, 12>> windows(n_windows, std::array<double, 12>{}, mr);
  std::array<std::int64_t, 12> holding{};
  for (std::size_t w = 0; w < n_windows; ++w) {
    const std::uint64_t length = w + 1 < n_windows ? starts[w + 1] - starts[w] : 0;
    for (std::size_t pc = 0; pc < 12; ++pc) {
      holding[pc] += held[w][pc];
      windows[w][pc] = static_cast<double>(partial[w][pc] + static_cast<std::uint64_t>(holding[pc]) * length);
    }
  }
  for (const auto& seg : key_segments(windows, mr)) {
    const auto first_bar = static_cast<std::uint32_t>(seg.start_window * kBarsPerWindow);
    m.key_regions.push_back({first_bar, bars[first_bar], tempo_map.seconds(bars[first_bar]), seg.key, seg.confidence});
  }
  if (!m.key_regions.empty()) m.key_changes = static_cast<std::uint32_t>(m.key_regions.size() - 1);
}

// The time signature in force over the most ticks of [0, end_tick) (the earliest on a tie): the
// piece's meter, where the first signature may be a pickup bar's (1/16, 2/8) or a short preface.
TimeSignature prevailing_signature(std::span<const TimeSignature> sigs, std::uint32_t end_tick) {
  TimeSignature best = sigs.empty() ? TimeSignature{} : sigs.front();
  std::uint64_t best_span = 0;
  for (std::size_t i = 0; i < sigs.size(); ++i) {
    const std::uint64_t from = std::min(sigs[i].tick, end_tick);
    const std::uint64_t until = i + 1 < sigs.size() ? std::min(sigs[i + 1].tick, end_tick) : end_tick;
    if (until - from > best_span) {
      best_span = until - from;
      best = sigs[i];
    }
  }
  return best;
}

// 60 / the median length in seconds of the notated beats (`beat_ticks`: the denominator's note, the
// dotted beat of a compound meter) through the tempo map; the beat after the last is not counted.
// The statistic ASAP's beat tempo takes (Foscarin et al. 2020). Absent with fewer than two beats
// or when no time passes between them.
std::optional<double> notated_beat_bpm(std::span<const std::uint32_t> beats, const TempoMap& tempo_map,
                                       std::pmr::memory_resource* mr) {
  if (beats.size() < 2) return std::nullopt;
  std::pmr::vector<double> lengths(mr);
  lengths.reserve(beats.size() - 1);
  TempoMap::Cursor clock(tempo_map);
  double previous = clock.seconds(beats.front());
  for (std::size_t k = 1; k < beats.size(); ++k) {
    const double at = clock.seconds(beats[k]);
    if (at > previous) lengths.push_back(at - previous);
    previous = at;
  }
  if (lengths.empty()) return std::nullopt;
  const auto mid = lengths.begin() + static_cast<std::ptrdiff_t>(lengths.size() / 2);
  std::nth_element(lengths.begin(), mid, lengths.end());
  return 60.0 / *mid;
}

}  // namespace

MusicalFacts analyze_music(const parse::Smf& smf, const FileFacts& facts, std::pmr::memory_resource* mr) {
  MusicalFacts m(mr);
  const auto& header = smf.header();
  const std::uint16_t ppq = header.ppq();

  // Meta events and program changes, all tracks.
  std::pmr::vector<ProgramChange> programs(mr);
  std::pmr::vector<Syllable> lyric_events(mr), text_events(mr);
  bool karaoke_header = false;
  bool programs_sorted = true;
  m.track_names.reserve(smf.tracks().size());
  for (std::uint32_t track_index = 0; const auto& track : smf.tracks()) {
    bool named = false;
    m.track_names.emplace_back();
    for (const auto& e : track.events) {
      if (e.is_channel() && e.kind() == parse::StatusKind::ProgramChange) {
        if (!programs.empty() && e.tick < programs.back().tick) programs_sorted = false;
        programs.push_back({e.tick, e.channel(), static_cast<std::uint8_t>(e.data1 & 0x7F)});
        continue;
      }
      if (!e.is_meta()) continue;
      switch (static_cast<MetaType>(e.data1)) {
        case MetaType::TrackName:
          if (!named) {
            m.track_names.back() = text_of(smf.payload(e), mr);
            named = true;
          }
          break;
        case MetaType::Text:
          m.has_text = true;
          text_events.push_back({e.tick, track_index, smf.payload(e)});
          if (starts_with(smf.payload(e), "@K")) karaoke_header = true;
          break;
        case MetaType::Lyric:
          m.has_lyrics = true;
          lyric_events.push_back({e.tick, track_index, smf.payload(e)});
          break;
        case MetaType::TimeSignature:
          if (e.length >= 2) {
            ++m.time_signature_changes;
            const auto ts = time_signature_of(smf, e);
            if (ts && (!m.time_signature || ts->tick < m.time_signature->tick)) m.time_signature = ts;
          }
          break;
        case MetaType::KeySignature:
          if (e.length >= 2) {
            const auto p = smf.payload(e);
            const auto sf = static_cast<std::int8_t>(std::to_integer<std::uint8_t>(p[0]));
            const auto mi = std::to_integer<std::uint8_t>(p[1]);
            ++m.key_signature_changes;
            if (sf >= -7 && sf <= 7 && mi <= 1 && !m.key_signature) {
              m.key_signature = KeySignature{sf, mi == 0 ? Mode::Major : Mode::Minor};
            }
          }
          break;
        default: break;
      }
    }
    ++track_index;
  }
  m.lyrics = join_lyrics(lyric_events, text_events, m.track_names, karaoke_header, mr);
  if (!m.lyrics.empty()) m.has_lyrics = true;
  if (!programs_sorted) {
    std::stable_sort(programs.begin(), programs.end(),
                     [](const ProgramChange& a, const ProgramChange& b) { return a.tick < b.tick; });
  }

  const TempoMap tempo_map(smf, mr);
  if (ppq != 0) {
    if (const auto s = tempo_map.stats(facts.end_tick)) {
      m.tempo_min_bpm = s->min_bpm;
      m.tempo_max_bpm = s->max_bpm;
      m.tempo_mean_bpm = s->mean_bpm;
    }
  }

  const NoteList list = extract_notes(smf, mr, facts.note_on_events);
  const std::span<const Note> notes = list.notes;
  m.notes = notes.size();
  m.unmatched_note_offs = list.unmatched_note_offs;
  m.notes_open_at_track_end = list.open_at_track_end;

  // One pass in onset order: statistics, onset train, instruments (the key evidence, NOMML and the
  // windowed key and chords take their own passes below).
  std::uint64_t pitch_sum = 0, pitched = 0, vel_sum = 0, vel_sq = 0;
  std::pmr::vector<PerformedNote> performed(mr);
  performed.reserve(notes.size());
  // Seconds of a tick in onset order: the tempo map's forward cursor (SMPTE: a fixed rate).
  TempoMap::Cursor clock(tempo_map);
  double smpte_sec_per_tick = 0.0;
  if (header.is_smpte() && header.smpte_fps() != 0 && header.ticks_per_frame() != 0) {
    smpte_sec_per_tick = 1.0 / (static_cast<double>(header.smpte_fps()) * header.ticks_per_frame());
  }
  const bool metrical = ppq != 0;
  const bool timed = metrical || smpte_sec_per_tick > 0;

  std::uint8_t program[16]{};
  std::size_t pi = 0;
  const std::size_t n_tracks = smf.tracks().size();
  // Per (track, channel): the instrument its last note used, and the newest instrument of that
  // track and channel; `older` chains each instrument to the previous one of the same track and
  // channel, so finding (track, channel, program) looks at no more than 128 entries. Only tracks
  // with notes get their 16 channel slots (`first_slot`: a track's first, in order of first note),
  // so a file of a million empty tracks costs 4 bytes a track here.
  std::pmr::vector<std::uint32_t> first_slot(n_tracks, kNone, mr);
  std::pmr::vector<std::uint32_t> slot(mr);
  std::pmr::vector<std::uint32_t> newest(mr);
  std::pmr::vector<std::uint32_t> older(mr);


  for (const auto& n : notes) {
    vel_sum += n.velocity;
    vel_sq += std::uint64_t{n.velocity} * n.velocity;
    {
      const double onset_seconds =
          metrical ? clock.seconds(n.onset) : static_cast<double>(n.onset) * smpte_sec_per_tick;
      const double end_seconds =
          metrical ? tempo_map.seconds(n.end) : static_cast<double>(n.end) * smpte_sec_per_tick;
      performed.push_back({onset_seconds, static_cast<float>(std::max(0.0, end_seconds - onset_seconds)), n.pitch,
                           n.velocity});
    }

    while (pi < programs.size() && programs[pi].tick <= n.onset) {
      program[programs[pi].channel] = programs[pi].program;
      ++pi;
    }
    const std::uint8_t prog = program[n.channel];
    std::uint32_t& first = first_slot[n.track];
    if (first == kNone) {
      first = static_cast<std::uint32_t>(slot.size());
      slot.resize(slot.size() + 16, kNone);
      newest.resize(newest.size() + 16, kNone);
    }
    const std::size_t key = std::size_t{first} + n.channel;
    std::uint32_t& s = slot[key];
    if (s == kNone || m.instruments[s].program != prog) {
      s = newest[key];
      while (s != kNone && m.instruments[s].program != prog) s = older[s];
      if (s == kNone) {
        s = static_cast<std::uint32_t>(m.instruments.size());
        m.instruments.push_back({n.track, n.channel, prog, n.onset, 0});
        older.push_back(newest[key]);
        newest[key] = s;
      }
    }
    ++m.instruments[s].notes;

    if (n.drum()) {
      ++m.drum_notes;
      continue;
    }
    m.gm_family_mask = static_cast<std::uint16_t>(m.gm_family_mask | (1U << (prog / 8)));
    ++pitched;
    pitch_sum += n.pitch;
    ++m.pitch_class_histogram[n.pitch % 12];
  }
  std::sort(m.instruments.begin(), m.instruments.end(), [](const InstrumentUse& a, const InstrumentUse& b) {
    return std::tie(a.track, a.channel, a.first_tick) < std::tie(b.track, b.channel, b.first_tick);
  });
  if (!notes.empty()) {
    const auto n = static_cast<double>(notes.size());
    m.velocity_mean = static_cast<double>(vel_sum) / n;
    m.velocity_std = std::sqrt(std::max(0.0, static_cast<double>(vel_sq) / n - *m.velocity_mean * *m.velocity_mean));
  }
  if (pitched > 0) m.pitch_mean = static_cast<double>(pitch_sum) / static_cast<double>(pitched);
  if (facts.duration_seconds && !notes.empty()) {
    std::uint32_t last_end = 0;
    for (const auto& n : notes) last_end = std::max(last_end, n.end);
    m.last_note_seconds = tempo_map.seconds(last_end);  // the same map as duration_seconds
  }
  if (m.last_note_seconds && *m.last_note_seconds > 0) {
    m.notes_per_second = static_cast<double>(notes.size()) / *m.last_note_seconds;
  }

  const std::optional<std::uint32_t> offset = grid_offset(notes, ppq, mr);
  m.nomml = nomml_per_track(notes, n_tracks, ppq, mr, offset.value_or(0));
  m.expressive = expressive(m.nomml, notes);
  if (m.expressive == false) m.grid_offset_ticks = offset;
  // A quantised file keeps one tempo between its tempo events: the whole piece's periodicity. A
  // performance (or a file whose grid is unknown) moves: the median of local tempi.
  // A quantised file's onsets are weighted by durational accent; a performance's by their learned
  // beat salience (beat_salience.hpp), which keeps the subdivisions of a rubato beat from winning.
  if (timed && m.expressive == false) {
    std::pmr::vector<Onset> onsets(mr);
    onsets.reserve(performed.size());
    for (const PerformedNote& n : performed) onsets.push_back({n.seconds, durational_accent(n.duration)});
    m.estimated_tempo = estimate_tempo(onsets, mr);
  } else if (timed) {
    m.estimated_tempo = estimate_tempo_with_rubato(beat_salient_onsets(performed, mr), mr);
  }
  m.estimated_key = estimate_key(key_evidence(notes, ppq, smpte_sec_per_tick, m.key_signature));
  // The bar grid of the time signatures: beats, loops, key regions and chords.
  std::optional<MeterMap> meter;
  if (metrical && !notes.empty()) meter.emplace(smf, facts.end_tick, mr);
  // The notated beats of a quantised file (the beat tempo and the chords), at most one a note (and
  // 64 more): memory in proportion to the input.
  std::pmr::vector<std::uint32_t> beats(mr);
  if (m.expressive == false && meter && meter->complete()) {
    beats = beat_ticks(*meter, ppq, facts.end_tick, mr, notes.size() + 64);
    // A grid out of phase with the notation: every beat moves by the offset (the last beat still
    // holds the end).
    if (const std::uint32_t shift = m.grid_offset_ticks.value_or(0); shift != 0) {
      for (auto& b : beats) b = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{b} + shift, facts.end_tick));
      beats.erase(std::unique(beats.begin(), beats.end()), beats.end());
    }
  }
  {
    const TimeSignature ts = meter ? prevailing_signature(meter->signatures(), facts.end_tick)
                                   : m.time_signature.value_or(TimeSignature{});
    const bool compound = compound_meter(ts);
    const unsigned beats_per_bar = compound ? ts.numerator / 3U : ts.numerator;
    auto levels = [&](double bpm, bool from_meter) {
      return MusicalFacts::BeatTempo{bpm, bpm / (beats_per_bar % 3 == 0 ? 3.0 : 2.0), bpm * (compound ? 3.0 : 2.0),
                                     from_meter};
    };
    if (const auto notated = notated_beat_bpm(beats, tempo_map, mr)) {
      m.beat_tempo = levels(*notated, true);
    } else if (m.expressive == false && m.tempo_mean_bpm) {
      m.beat_tempo = levels(*m.tempo_mean_bpm * ts.denominator / 4.0 / (compound ? 3.0 : 1.0), true);
    } else if (m.estimated_tempo) {
      m.beat_tempo = levels(m.estimated_tempo->bpm, false);
    }
    // A quantised file whose onsets agree with its tempo map (their periodicity a metrical level of
    // the notated beat: x1, x2, x3 or their inverses, within 4 %) is counted as notated: the
    // onsets alone cannot tell the counted level from its neighbours (POP909: 0.31 acc1 from the
    // onsets, the notated quarter being the annotated beat of 98 % of the songs).
    if (m.expressive == false && m.estimated_tempo && m.beat_tempo && m.beat_tempo->from_meter) {
      const double r = m.estimated_tempo->bpm / m.beat_tempo->bpm;
      for (const double level : {1.0, 2.0, 0.5, 3.0, 1.0 / 3.0}) {
        if (std::abs(r / level - 1.0) <= 0.04) {
          m.estimated_tempo->bpm = m.beat_tempo->bpm;
          break;
        }
      }
    }
  }

  const TimeSignature first_ts = m.time_signature.value_or(TimeSignature{});
  PolyphonyStats poly;
  m.metrics = compute_muspy_metrics(notes, ppq, first_ts.bar_ticks(ppq),
                                    m.estimated_key ? std::optional<Key>(m.estimated_key->key) : std::nullopt, mr,
                                    &poly);
  m.polyphony_max = poly.max_notes;
  m.polyphony_mean = poly.mean_notes;
  m.fingerprint = fingerprint(notes, ppq, mr);
  if (meter && meter->complete()) {
    std::span<const std::uint32_t> bars = meter->bars();
    // Chords only where the beat grid follows the music (a quantised file).
    std::pmr::vector<BeatWeights> per_beat(mr);
    std::pmr::vector<std::uint32_t> found_bars(mr);
    if (m.expressive == false && !beats.empty()) {
      per_beat = beat_weights(notes, beats, facts.end_tick, mr);
      const TimeSignature ts = prevailing_signature(meter->signatures(), facts.end_tick);
      if (m.grid_offset_ticks.value_or(0) != 0 || ts.numerator <= 1) {
        const unsigned per_bar = !compound_meter(ts) && ts.numerator % 3 == 0 ? 3U : 4U;
        found_bars = bars_from_harmony(per_beat, per_bar, mr);
        bars = found_bars;
      }
      for (const auto& c : track_chords(per_beat, bars, mr)) {
        m.chords.push_back({c.start_tick, tempo_map.seconds(c.start_tick), c.chord});
      }
      m.beats.reserve(beats.size());
      TempoMap::Cursor beat_clock(tempo_map);
      std::size_t bar = 0;
      for (const std::uint32_t b : beats) {
        bool down = false;
        while (bar < bars.size() && bars[bar] <= b) {
          down = bars[bar] == b;
          ++bar;
        }
        m.beats.push_back({b, beat_clock.seconds(b), down});
      }
    }
    m.loops = find_loops(notes, bars, ppq, mr);
    key_regions(notes, bars, tempo_map, mr, m);
  }
  return m;
}

}  // namespace midisift::analyze
