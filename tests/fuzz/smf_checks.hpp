// The invariants every parse and analysis must keep, whatever the bytes: shared by the SMF fuzz
// harnesses (arena and heap) and the RIFF RMID one.
#pragma once

#include <cmath>
#include <cstddef>
#include <memory_resource>
#include <optional>
#include <span>

#include "fuzz_check.hpp"
#include "midisift/analyze/facts.hpp"
#include "midisift/analyze/music.hpp"
#include "midisift/parse/smf.hpp"

namespace midisift::fuzz {

/// Memory allowed per input byte, all allocations of a lenient parse, a strict parse and the whole
/// analysis added up (the bound: allocations proportional to the input). Events are 16
/// bytes for at least one input byte, vectors may double, and an arena keeps what they outgrew.
inline constexpr std::size_t kBytesPerInputByte = 160;
inline constexpr std::size_t kFixedBytes = std::size_t{1} << 20;

inline bool finite_or_absent(const std::optional<double>& v) { return !v || std::isfinite(*v); }

/// Structure of a parse result: views inside the input, ticks in order, data bytes 7-bit.
inline void check_structure(const parse::Smf& smf, std::span<const std::byte> bytes) {
  const std::size_t size = bytes.size();
  FUZZ_CHECK(smf.event_count() <= size, "every event consumes at least one input byte");
  FUZZ_CHECK(smf.tracks().size() <= size / 8, "every track consumes at least its 8-byte chunk header");
  for (const auto& track : smf.tracks()) {
    FUZZ_CHECK(std::size_t{track.chunk_offset} + 8 <= size, "track chunk header inside the input");
    std::uint32_t previous = 0;
    for (const auto& e : track.events) {
      FUZZ_CHECK(e.tick >= previous, "ticks non-decreasing within a track");
      previous = e.tick;
      FUZZ_CHECK(e.status >= 0x80, "a resolved status byte");
      if (e.is_meta() || e.is_sysex()) {
        FUZZ_CHECK(std::size_t{e.offset} + e.length <= size, "payload view inside the input");
        const auto payload = smf.payload(e);
        FUZZ_CHECK(payload.size() == e.length, "payload view of the declared length");
      } else {
        FUZZ_CHECK(e.offset < size, "message offset inside the input");
        FUZZ_CHECK(e.length == 0, "channel and system messages carry no payload");
        FUZZ_CHECK(e.data1 < 0x80 && e.data2 < 0x80, "data bytes are 7-bit");
      }
    }
  }
  for (const auto& d : smf.diagnostics()) {
    FUZZ_CHECK(d.offset <= size, "diagnostic offset inside the input");
    FUZZ_CHECK(d.track == parse::kFileLevel || d.track < smf.tracks().size(), "diagnostic names a real track");
    FUZZ_CHECK(!parse::to_string(d.code).empty(), "every repair has a name");
  }
  if (smf.failure()) FUZZ_CHECK(!parse::to_string(smf.failure()->code).empty(), "every failure has a name");
}

/// Facts and musical facts agree with the parse and stay in range.
inline void check_analysis(const parse::Smf& smf, std::pmr::memory_resource* mr) {
  const auto facts = analyze::compute_facts(smf, mr);
  FUZZ_CHECK(facts.tracks == smf.tracks().size(), "one track fact per MTrk read");
  FUZZ_CHECK(facts.channel_events + facts.meta_events + facts.sysex_events <= smf.event_count(),
             "event kinds add up to at most all events");
  FUZZ_CHECK(facts.note_on_events <= facts.channel_events, "note-ons are channel events");
  FUZZ_CHECK(facts.pitch_min.has_value() == (facts.note_on_events > 0), "a pitch range exactly when notes sound");
  if (facts.pitch_min) FUZZ_CHECK(*facts.pitch_min <= *facts.pitch_max && *facts.pitch_max < 128, "pitch range");
  FUZZ_CHECK(finite_or_absent(facts.duration_seconds) && (!facts.duration_seconds || *facts.duration_seconds >= 0),
             "duration finite and not negative");
  FUZZ_CHECK(finite_or_absent(facts.initial_bpm), "initial tempo finite");

  const auto music = analyze::analyze_music(smf, facts, mr);
  FUZZ_CHECK(music.notes <= facts.note_on_events, "every note starts with a note-on");
  FUZZ_CHECK(music.drum_notes <= music.notes, "drum notes are notes");
  std::uint64_t histogram = 0;
  for (const auto n : music.pitch_class_histogram) histogram += n;
  FUZZ_CHECK(histogram <= music.notes, "pitch-class histogram counts notes");
  FUZZ_CHECK(music.track_names.size() <= smf.tracks().size(), "at most one name per track");
  for (const auto* v : {&music.tempo_min_bpm, &music.tempo_max_bpm, &music.tempo_mean_bpm, &music.pitch_mean,
                        &music.velocity_mean, &music.velocity_std, &music.polyphony_mean, &music.notes_per_second}) {
    FUZZ_CHECK(finite_or_absent(*v), "musical facts are finite");
  }
  const auto& x = music.metrics;
  for (const auto* v : {&x.polyphony, &x.pitch_entropy, &x.pitch_class_entropy}) {
    FUZZ_CHECK(finite_or_absent(*v) && (!*v || **v >= 0), "MusPy metrics finite, not negative");
  }
  for (const auto* v : {&x.polyphony_rate, &x.pitch_in_scale_rate, &x.scale_consistency, &x.empty_beat_rate,
                        &x.drum_in_pattern_rate, &x.drum_pattern_consistency, &x.groove_consistency}) {
    FUZZ_CHECK(!*v || (**v >= 0 && **v <= 1), "MusPy rates in [0, 1]");
  }
  if (music.velocity_mean) FUZZ_CHECK(*music.velocity_mean >= 1 && *music.velocity_mean <= 127, "velocity range");
  if (music.estimated_tempo) FUZZ_CHECK(std::isfinite(music.estimated_tempo->bpm), "estimated tempo finite");
}

/// Strict mode fails exactly where the lenient reader made its first repair, and agrees with it
/// on a clean file.
inline void check_strict_agrees(const parse::Smf& lenient, std::span<const std::byte> bytes,
                                std::pmr::memory_resource* mr) {
  const auto strict = parse::parse(bytes, mr, parse::ParseOptions{.strict = true});
  if (lenient.status() == parse::ParseStatus::Ok) {
    FUZZ_CHECK(strict.status() == parse::ParseStatus::Ok, "a clean file is clean in strict mode");
    FUZZ_CHECK(strict.event_count() == lenient.event_count(), "strict and lenient read the same events");
    return;
  }
  FUZZ_CHECK(strict.failure().has_value(), "strict mode fails a file that needed a repair");
  if (!lenient.diagnostics().empty()) {
    FUZZ_CHECK(strict.failure()->code == parse::Fatal::StrictViolation, "strict failure names the violation");
    FUZZ_CHECK(strict.failure()->strict_cause == lenient.diagnostics().front().code, "the first repair is refused");
    FUZZ_CHECK(strict.diagnostics().size() == 1, "strict mode stops at the first repair");
  } else {
    FUZZ_CHECK(strict.failure()->code == lenient.failure()->code, "same fatal problem without repairs");
  }
}

/// Everything above on one input over `mr`, with the memory bound checked.
inline void check_smf(std::span<const std::byte> bytes, std::pmr::memory_resource* mr) {
  CountingResource counted(mr);
  {
    const auto smf = parse::parse(bytes, &counted);
    check_structure(smf, bytes);
    if (!smf.failure()) check_analysis(smf, &counted);
    check_strict_agrees(smf, bytes, &counted);
  }
  FUZZ_CHECK(counted.requested() <= kBytesPerInputByte * bytes.size() + kFixedBytes,
             "memory proportional to the input");
}

}  // namespace midisift::fuzz
