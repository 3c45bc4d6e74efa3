// Musical analysis on hand-built files whose answers are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "midisift/analyze/music.hpp"
#include "song_builder.hpp"

namespace midisift::analyze {
namespace {

using namespace midisift::test;

struct Parsed {
  Bytes bytes;
  parse::Smf smf;
  FileFacts facts;
  explicit Parsed(Bytes b)
      : bytes(std::move(b)),
        smf(parse::parse(as_bytes(bytes), std::pmr::new_delete_resource())),
        facts(compute_facts(smf, std::pmr::new_delete_resource())) {}
  [[nodiscard]] MusicalFacts music() const { return analyze_music(smf, facts, std::pmr::new_delete_resource()); }
  [[nodiscard]] NoteList notes() const { return extract_notes(smf, std::pmr::new_delete_resource()); }
};

// ---- notes -------------------------------------------------------------------------------------

TEST(Notes, PairsFirstInFirstOutAndEndsOpenNotesAtTrackEnd) {
  // Track: on C4@0, on C4@10 (overlapping, same pitch), off@20, off@30, on E4@40 (vel 0 = off of
  // nothing), off G4@45 (no note), on D4@50 never released; End of Track at 60.
  const Bytes body = cat({{0x00, 0x90, 60, 90}, {0x0A, 0x90, 60, 80}, {0x0A, 0x80, 60, 0}, {0x0A, 0x90, 60, 0},
                          {0x0A, 0x90, 64, 0}, {0x05, 0x80, 67, 0}, {0x05, 0x90, 62, 70}, {0x0A, 0xFF, 0x2F, 0x00}});
  const Parsed p(cat({mthd(0, 1, 96), mtrk(body)}));
  const NoteList list = p.notes();
  ASSERT_EQ(list.notes.size(), 3U);
  EXPECT_EQ(list.notes[0].onset, 0U);
  EXPECT_EQ(list.notes[0].end, 20U) << "first on, first off";
  EXPECT_EQ(list.notes[0].velocity, 90);
  EXPECT_EQ(list.notes[1].onset, 10U);
  EXPECT_EQ(list.notes[1].end, 30U) << "velocity-0 note-on releases the second";
  EXPECT_EQ(list.notes[2].pitch, 62);
  EXPECT_EQ(list.notes[2].end, 60U) << "never released: ends at the track's last tick";
  EXPECT_EQ(list.unmatched_note_offs, 2U);
  EXPECT_EQ(list.open_at_track_end, 1U);
}

TEST(Notes, MergesTracksByOnsetKeepingTrackOrderOnTies) {
  const Parsed p(song(96, {{{{10, 20, 60}, {30, 40, 62}}, {}}, {{{0, 5, 50}, {10, 20, 52}}, {}}}));
  const NoteList list = p.notes();
  ASSERT_EQ(list.notes.size(), 4U);
  EXPECT_EQ(list.notes[0].pitch, 50);
  EXPECT_EQ(list.notes[1].pitch, 60) << "tie at tick 10: track 0 first";
  EXPECT_EQ(list.notes[1].track, 0);
  EXPECT_EQ(list.notes[2].pitch, 52);
  EXPECT_EQ(list.notes[3].pitch, 62);
}

// ---- tempo map, meter, key signature, text ------------------------------------------------------

TEST(Music, TempoStatisticsAreTimeWeighted) {
  // 120 BPM for one quarter, then 60 BPM for one quarter: 2 quarters in 1.5 s = 80 BPM on average.
  SongTrack t;
  t.events = {{0, tempo_meta(500000)}, {96, tempo_meta(1000000)}};
  t.notes = {{0, 192, 60}};
  const MusicalFacts m = Parsed(song(96, {t})).music();
  EXPECT_DOUBLE_EQ(*m.tempo_min_bpm, 60.0);
  EXPECT_DOUBLE_EQ(*m.tempo_max_bpm, 120.0);
  EXPECT_DOUBLE_EQ(*m.tempo_mean_bpm, 80.0);
  EXPECT_DOUBLE_EQ(*m.notes_per_second, 1 / 1.5);
}

TEST(Music, BeatTempoOfAQuantisedFileIsTheMedianNotatedBeatNotThePickupOrTheIntroduction) {
  // ppq 96. A 1/8 pickup bar (one eighth-note beat, 48 ticks), then 3/4 from tick 48: two bars at
  // 60 BPM (6 quarter beats of 1 s), then eight bars at 120 BPM (24 beats of 0.5 s) to tick 2,928.
  // Beat lengths: 0.5 (the pickup), 1 x 6, 0.5 x 24: the median is 0.5 s, 120 beats a minute. The
  // first signature's beat at the time-weighted mean tempo would say 2 * 30.5 quarters / 18.5 s
  // * 60 = 197.8; the mean tempo in quarters, 98.9.
  SongTrack t;
  const std::uint32_t slow_end = 48 + 2 * 288;
  t.events = {{0, tempo_meta(1000000)}, {0, time_signature_meta(1, 3)}, {48, time_signature_meta(3, 2)},
              {slow_end, tempo_meta(500000)}};
  t.notes.push_back({0, 48, 67});
  for (std::uint32_t at = 48; at + 96 <= slow_end + 8 * 288; at += 96) {
    t.notes.push_back({at, at + 96, static_cast<std::uint8_t>(at % 384 == 48 ? 55 : 60)});
  }
  const MusicalFacts m = Parsed(song(96, {t})).music();
  ASSERT_EQ(m.expressive, std::optional<bool>(false)) << "every onset on the grid";
  ASSERT_TRUE(m.beat_tempo);
  EXPECT_TRUE(m.beat_tempo->from_meter);
  EXPECT_NEAR(m.beat_tempo->bpm, 120.0, 1e-9);
  EXPECT_NEAR(m.beat_tempo->above_bpm, 40.0, 1e-9) << "the bar of the prevailing 3/4";
  EXPECT_NEAR(m.beat_tempo->below_bpm, 240.0, 1e-9) << "eighth notes";
  EXPECT_EQ(m.time_signature->numerator, 1) << "time_signature stays the first one";
}

TEST(Music, CompoundMetersCountDottedBeatsWhateverTheDenominator) {
  // 100 quarter notes a minute (600,000 us). 6/4: two dotted halves a bar, 100 / 3 a minute; the
  // bar above at half that, the quarter below at x3. 6/8: two dotted quarters, 100 / 1.5. 3/8:
  // simple triple, every eighth a beat, 200.
  struct Case {
    std::uint8_t num, dd;
    double bpm, above, below;
  };
  for (const Case c : {Case{6, 2, 100.0 / 3, 100.0 / 6, 100.0}, Case{6, 3, 100.0 / 1.5, 100.0 / 3, 200.0},
                       Case{3, 3, 200.0, 200.0 / 3, 400.0}}) {
    SongTrack t;
    t.events = {{0, tempo_meta(600000)}, {0, time_signature_meta(c.num, c.dd)}};
    for (std::uint32_t at = 0; at < 16 * 96; at += 48) t.notes.push_back({at, at + 48, 60});
    const MusicalFacts m = Parsed(song(96, {t})).music();
    ASSERT_TRUE(m.beat_tempo) << int(c.num) << "/" << (1 << c.dd);
    EXPECT_NEAR(m.beat_tempo->bpm, c.bpm, 1e-6) << int(c.num) << "/" << (1 << c.dd);
    EXPECT_NEAR(m.beat_tempo->above_bpm, c.above, 1e-6) << int(c.num) << "/" << (1 << c.dd);
    EXPECT_NEAR(m.beat_tempo->below_bpm, c.below, 1e-6) << int(c.num) << "/" << (1 << c.dd);
  }
}

TEST(Music, ReadsTimeAndKeySignaturesNamesAndText) {
  SongTrack t;
  t.events = {{0, time_signature_meta(6, 3)},
              {0, meta(0x59, {0xFD, 0x01})},  // 3 flats, minor: C minor
              {0, meta(0x03, {'C', 'a', 'f', 0xE9})},  // Latin-1 e acute
              {0, text_meta(0x05, "la")},
              {96, time_signature_meta(3, 2)}};
  t.notes = {{0, 10, 60}};
  const MusicalFacts m = Parsed(song(96, {t})).music();
  ASSERT_TRUE(m.time_signature);
  EXPECT_EQ(m.time_signature->numerator, 6);
  EXPECT_EQ(m.time_signature->denominator, 8);
  EXPECT_EQ(m.time_signature_changes, 2U);
  ASSERT_TRUE(m.key_signature);
  EXPECT_EQ(key_name(m.key_signature->key()), "C minor");
  ASSERT_EQ(m.track_names.size(), 1U);
  EXPECT_EQ(m.track_names[0], "Caf\xC3\xA9") << "Latin-1 read as such, stored as UTF-8";
  EXPECT_TRUE(m.has_lyrics);
  EXPECT_FALSE(m.has_text);
}

TEST(Music, LyricEventsAreJoinedAsSung) {
  SongTrack t;
  t.events = {{0, text_meta(0x05, "Twin")}, {10, text_meta(0x05, "kle ")}, {20, text_meta(0x05, "twin")},
              {30, text_meta(0x05, "kle\r")}, {40, text_meta(0x05, "lit")}, {50, text_meta(0x05, "tle star ")}};
  t.notes = {{0, 60, 60}};
  const MusicalFacts m = Parsed(song(96, {t})).music();
  EXPECT_TRUE(m.has_lyrics);
  EXPECT_EQ(m.lyrics, "Twinkle twinkle\nlittle star");
}

TEST(Music, KaraokeTextOfTheWordsTrackIsTheLyrics) {
  // A .kar file (Tune 1000's KMIDI layout): "@" header lines, then syllables as Text events in the
  // track named "Words", "\\" starting a paragraph and "/" a line. Text elsewhere is not sung.
  SongTrack tune;
  tune.events = {{0, text_meta(0x01, "a comment, not a lyric")}};
  tune.notes = {{0, 96, 60}};
  SongTrack words;
  words.events = {{0, text_meta(0x03, "Words")},          {0, text_meta(0x01, "@KMIDI KARAOKE FILE")},
                  {0, text_meta(0x01, "@TTwinkle")},      {10, text_meta(0x01, "\\Twin")},
                  {20, text_meta(0x01, "kle ")},          {30, text_meta(0x01, "star")},
                  {40, text_meta(0x01, "/How I ")},       {50, text_meta(0x01, "won")},
                  {60, text_meta(0x01, "der")},           {70, text_meta(0x01, "\\Up a")},
                  {80, text_meta(0x01, "bove")}};
  const MusicalFacts m = Parsed(song(96, {tune, words})).music();
  EXPECT_TRUE(m.has_lyrics) << "karaoke text counts as lyrics";
  EXPECT_TRUE(m.has_text);
  EXPECT_EQ(m.lyrics, "Twinkle star\nHow I wonder\n\nUp above");

  // Without a "Words" track, an "@K" header marks the file as karaoke: all Text events but the
  // header lines are the words; without either, Text events are not lyrics.
  SongTrack plain;
  plain.events = {{0, text_meta(0x01, "@KMIDI KARAOKE FILE")}, {10, text_meta(0x01, "\\La ")},
                  {20, text_meta(0x01, "la")}};
  plain.notes = {{0, 96, 60}};
  EXPECT_EQ(Parsed(song(96, {plain})).music().lyrics, "La la");
  SongTrack remarks;
  remarks.events = {{0, text_meta(0x01, "Sequenced by someone")}};
  remarks.notes = {{0, 96, 60}};
  const MusicalFacts none = Parsed(song(96, {remarks})).music();
  EXPECT_EQ(none.lyrics, "");
  EXPECT_FALSE(none.has_lyrics);
}

TEST(Music, NotesPerSecondCountsTheMusicNotTrailingSilence) {
  // 120 BPM at ppq 96: two notes within the first second; a conductor track ends 9 s later.
  SongTrack conductor;
  conductor.events = {{0, tempo_meta(500000)}, {96 * 20, text_meta(0x01, "end")}};
  SongTrack part;
  part.notes = {{0, 96, 60}, {96, 192, 62}};
  const Parsed p(song(96, {conductor, part}));
  EXPECT_DOUBLE_EQ(*p.facts.duration_seconds, 10.0);
  EXPECT_DOUBLE_EQ(*p.music().last_note_seconds, 1.0);
  EXPECT_DOUBLE_EQ(*p.music().notes_per_second, 2.0) << "2 notes in the 1 s of music, not in the 10 s file";
}

TEST(Music, KeySignatureNamesFollowTheCircleOfFifths) {
  EXPECT_EQ(key_name(KeySignature{0, Mode::Major}.key()), "C major");
  EXPECT_EQ(key_name(KeySignature{0, Mode::Minor}.key()), "A minor");
  EXPECT_EQ(key_name(KeySignature{2, Mode::Major}.key()), "D major");
  EXPECT_EQ(key_name(KeySignature{-1, Mode::Minor}.key()), "D minor");
  // A key signature is spelled as its accidentals imply.
  EXPECT_EQ((KeySignature{-3, Mode::Major}.name()), "Eb major");
  EXPECT_EQ((KeySignature{-5, Mode::Major}.name()), "Db major");
  EXPECT_EQ((KeySignature{-7, Mode::Major}.name()), "Cb major");
  EXPECT_EQ((KeySignature{-6, Mode::Major}.name()), "Gb major");
  EXPECT_EQ((KeySignature{6, Mode::Major}.name()), "F# major");
  EXPECT_EQ((KeySignature{7, Mode::Major}.name()), "C# major");
  EXPECT_EQ((KeySignature{-5, Mode::Minor}.name()), "Bb minor");
  EXPECT_EQ((KeySignature{6, Mode::Minor}.name()), "D# minor");
  EXPECT_EQ((KeySignature{-7, Mode::Minor}.name()), "Ab minor");
  // Every spelling names the key's own tonic and mode.
  const auto pitch_class = [](std::string_view name) {
    constexpr int kLetters[] = {9, 11, 0, 2, 4, 5, 7};  // A B C D E F G
    int pc = kLetters[name[0] - 'A'];
    if (name[1] == '#') ++pc;
    if (name[1] == 'b') --pc;
    return static_cast<std::uint8_t>((pc + 12) % 12);
  };
  for (int sf = -7; sf <= 7; ++sf) {
    for (const auto mode : {Mode::Major, Mode::Minor}) {
      const KeySignature k{static_cast<std::int8_t>(sf), mode};
      EXPECT_EQ(pitch_class(k.name()), k.key().tonic) << k.name();
      EXPECT_TRUE(k.name().ends_with(mode == Mode::Major ? " major" : " minor")) << k.name();
    }
  }
}

TEST(Music, KeysAreSpelledAsMusiciansSpellThem) {
  // The conventional spelling of each of the 24 keys (fewer accidentals; six each way: F# major,
  // Eb minor), never "D# major" or "A# minor".
  const char* major[] = {"C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
  const char* minor[] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"};
  for (std::uint8_t t = 0; t < 12; ++t) {
    EXPECT_EQ(key_name(Key{t, Mode::Major}), std::string(major[t]) + " major");
    EXPECT_EQ(key_name(Key{t, Mode::Minor}), std::string(minor[t]) + " minor");
  }
}

// ---- instruments --------------------------------------------------------------------------------

TEST(Music, ProgramsApplyPerChannelAcrossTracksOverTime) {
  // Track 0 selects Violin (40) on channel 0 at tick 0 and Acoustic Grand Piano (0) at 100; track 1
  // plays channel 0 at 0, 50 and 100, and drums. Channel 1 never gets a program: piano (GM default).
  SongTrack conductor;
  conductor.events = {{0, {0xC0, 40}}, {100, {0xC0, 0}}};
  SongTrack player;
  player.notes = {{0, 10, 60}, {50, 60, 62}, {100, 110, 64}, {0, 10, 36, 9}, {0, 10, 70, 1}};
  const MusicalFacts m = Parsed(song(96, {conductor, player})).music();
  ASSERT_EQ(m.instruments.size(), 4U);
  EXPECT_EQ(m.instruments[0].channel, 0);
  EXPECT_EQ(m.instruments[0].program, 40);
  EXPECT_EQ(m.instruments[0].notes, 2U);
  EXPECT_EQ(m.instruments[1].program, 0);
  EXPECT_EQ(m.instruments[1].first_tick, 100U);
  EXPECT_EQ(m.instruments[2].channel, 1);
  EXPECT_EQ(m.instruments[3].channel, 9);
  EXPECT_EQ(m.drum_notes, 1U);
  EXPECT_EQ(m.gm_family_mask, (1U << 0) | (1U << 5)) << "Piano and Strings";
  EXPECT_EQ(gm_family(40), "Strings");
  EXPECT_EQ(gm_program_name(40), "Violin");
  EXPECT_EQ(gm_program_name(127), "Gunshot");
}

// ---- MusPy metrics, by hand from muspy/metrics/metrics.py ---------------------------------------

TEST(MuspyMetrics, PitchMetricsAndPolyphony) {
  // ppq 4. Non-drum notes (onset, end, pitch): (0,4,60) (0,8,64) (4,8,67) (4,6,72) (8,12,60).
  // Pianoroll: ticks 0-3 {60,64}; 4-5 {64,67,72}; 6-7 {64,67}; 8-11 {60}.
  //   polyphony = (2*4 + 3*2 + 2*2 + 1*4) / 12 = 22/12; polyphony_rate (> 2 pitches) = 2/12.
  // Pitch counts {60:2, 64:1, 67:1, 72:1}: range 12, 4 pitches, 3 classes,
  //   entropy = -(.4 log2 .4 + 3 * .2 log2 .2) = 1.921928; classes {C:3, E:1, G:1}:
  //   -(.6 log2 .6 + 2 * .2 log2 .2) = 1.370951. In D major (D E F# G A B C#): E and G, 2/5.
  //   Scale consistency: C major holds all, 1.
  const std::vector<Note> notes = {{0, 4, 0, 0, 60, 100}, {0, 8, 0, 0, 64, 100}, {4, 8, 0, 0, 67, 100},
                                   {4, 6, 0, 0, 72, 100}, {8, 12, 0, 0, 60, 100}};
  PolyphonyStats poly;
  const MuspyMetrics m =
      compute_muspy_metrics(notes, 4, 16, Key{2, Mode::Major}, std::pmr::new_delete_resource(), &poly);
  EXPECT_EQ(m.pitch_range, 12);
  EXPECT_EQ(m.n_pitches_used, 4);
  EXPECT_EQ(m.n_pitch_classes_used, 3);
  EXPECT_NEAR(*m.polyphony, 22.0 / 12, 1e-12);
  EXPECT_NEAR(*m.polyphony_rate, 2.0 / 12, 1e-12);
  EXPECT_NEAR(*m.pitch_entropy, 1.921928, 1e-6);
  EXPECT_NEAR(*m.pitch_class_entropy, 1.370951, 1e-6);
  EXPECT_NEAR(*m.pitch_in_scale_rate, 0.4, 1e-12);
  EXPECT_NEAR(*m.scale_consistency, 1.0, 1e-12);
  EXPECT_FALSE(m.drum_in_pattern_rate) << "no drums: NaN in muspy";
  // Notes (not pitches) sounding: 2,3,2,1 over 12 ticks; at most 3.
  EXPECT_EQ(poly.max_notes, 3U);
  EXPECT_NEAR(*poly.mean_notes, 22.0 / 12, 1e-12);
}

TEST(MuspyMetrics, EmptyBeatRateAndGrooveConsistency) {
  // ppq 4, bars of 16 ticks. Notes (onset, end): (0,2) (4,6) (16,18) (20,22) (24,26) (48,49).
  // length 49: 49 // 4 + 1 = 13 beats; covered beats {0,1,4,5,6,12} -> empty rate 7/13.
  // 49 // 16 + 1 = 4 bars; onset positions {0,4} {0,4,8} {} {0}: Hamming 1 + 3 + 1 = 5,
  // groove = 1 - 5 / (16 * 3) = 43/48.
  const std::vector<Note> notes = {{0, 2, 0, 0, 60, 100},   {4, 6, 0, 0, 60, 100},   {16, 18, 0, 0, 60, 100},
                                   {20, 22, 0, 0, 60, 100}, {24, 26, 0, 0, 60, 100}, {48, 49, 0, 0, 60, 100}};
  const MuspyMetrics m = compute_muspy_metrics(notes, 4, 16, std::nullopt, std::pmr::new_delete_resource());
  EXPECT_NEAR(*m.empty_beat_rate, 7.0 / 13, 1e-12);
  EXPECT_NEAR(*m.groove_consistency, 43.0 / 48, 1e-12);
  EXPECT_EQ(m.pitch_range, 0) << "one pitch";
  EXPECT_NEAR(*m.pitch_entropy, 0.0, 1e-12);
  EXPECT_FALSE(m.pitch_in_scale_rate) << "no key given";
}

TEST(MuspyMetrics, DrumPatterns) {
  // ppq 12: duple grid {0,3,6,9}, triple grid {0,4,8}. Drum onsets 0, 3, 4, 8, 22 (22 % 12 = 10):
  // duple 2/5, triple 3/5.
  const std::vector<Note> notes = {{0, 1, 0, 9, 36, 100}, {3, 4, 0, 9, 42, 100}, {4, 5, 0, 9, 42, 100},
                                   {8, 9, 0, 9, 38, 100}, {22, 23, 0, 9, 38, 100}};
  const MuspyMetrics m = compute_muspy_metrics(notes, 12, 48, std::nullopt, std::pmr::new_delete_resource());
  EXPECT_NEAR(*m.drum_in_pattern_rate, 0.4, 1e-12);
  EXPECT_NEAR(*m.drum_pattern_consistency, 0.6, 1e-12);
  EXPECT_EQ(m.n_pitches_used, 0) << "drums ignored";
  EXPECT_FALSE(m.polyphony) << "no pitched note sounds";
  EXPECT_NEAR(*m.polyphony_rate, 0.0, 1e-12);
}

TEST(MuspyMetrics, ManyNotesNeverReleasedStayLinearithmic) {
  // 20,000 overlapping notes (a hostile file): the sweep switches to a heap; the answer stays exact.
  std::vector<Note> notes;
  for (std::uint32_t i = 0; i < 20000; ++i) notes.push_back({i, 20000, 0, 0, static_cast<std::uint8_t>(i % 128), 1});
  PolyphonyStats poly;
  const MuspyMetrics m = compute_muspy_metrics(notes, 96, 384, std::nullopt, std::pmr::new_delete_resource(), &poly);
  EXPECT_EQ(poly.max_notes, 20000U);
  EXPECT_NEAR(*m.polyphony_rate, (20000.0 - 2) / 20000, 1e-12) << "t + 1 pitches at tick t: more than 2 from tick 2";
}

TEST(MuspyMetrics, ANoteToTheLastTickAtPpq1CountsAllItsBeats) {
  // One note from tick 0 to tick 2^32 - 1 at ppq 1: 2^32 beats, every one covered. (The beat count
  // once wrapped to 0 in 32-bit arithmetic and gave an empty-beat rate of minus infinity.)
  const std::vector<Note> notes{{0, 0xFFFFFFFFU, 0, 0, 60, 100}};
  const MuspyMetrics m = compute_muspy_metrics(notes, 1, 1, std::nullopt, std::pmr::new_delete_resource());
  ASSERT_TRUE(m.empty_beat_rate.has_value());
  EXPECT_EQ(*m.empty_beat_rate, 0.0);
  ASSERT_TRUE(m.polyphony_rate.has_value());
  EXPECT_EQ(*m.polyphony_rate, 0.0);
}

// ---- key and tempo estimation -------------------------------------------------------------------

TEST(KeyEstimation, FindsTheKeyOfItsOwnProfileAndRanksTheRunnerUp) {
  // Temperley's G major profile (tonic 7): correlation 1 with G major.
  const double major[12] = {0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400};
  std::array<double, 12> g{};
  for (int i = 0; i < 12; ++i) g[static_cast<std::size_t>((i + 7) % 12)] = major[i];
  const auto k = estimate_key(g, KeyProfile::Temperley);
  ASSERT_TRUE(k);
  EXPECT_EQ(key_name(k->key), "G major");
  EXPECT_NEAR(k->correlation, 1.0, 1e-9);
  EXPECT_LT(k->runner_up_correlation, k->correlation);
  EXPECT_FALSE(estimate_key(std::array<double, 12>{}, KeyProfile::Temperley)) << "no notes, no key";
}

TEST(KeyEstimation, AMinorMelodyFromNotes) {
  // A harmonic-minor scale up and down, with long tonic and dominant: A minor (Krumhansl-Schmuckler).
  SongTrack t;
  const std::uint8_t scale[] = {57, 59, 60, 62, 64, 65, 68, 69, 68, 65, 64, 62, 60, 59, 57};
  std::uint32_t at = 0;
  for (const auto p : scale) {
    const std::uint32_t len = (p % 12 == 9 || p % 12 == 4) ? 192 : 96;
    t.notes.push_back({at, at + len, p});
    at += len;
  }
  const MusicalFacts m = Parsed(song(96, {t})).music();
  ASSERT_TRUE(m.estimated_key);
  EXPECT_EQ(key_name(m.estimated_key->key), "A minor");
}

TEST(TempoEstimation, FindsThePlayedTempoWhenTheTempoMapSaysOtherwise) {
  // A performance stored at the default 120 BPM, played at 100 BPM: a quarter every 0.6 s = 576 ticks
  // at ppq 480, with an off-beat eighth (softer, one note) between beats and a chord on each beat.
  SongTrack t;
  for (std::uint32_t beat = 0; beat < 64; ++beat) {
    const std::uint32_t at = beat * 576;
    t.notes.push_back({at, at + 200, 48});
    t.notes.push_back({at, at + 200, 55});
    t.notes.push_back({at, at + 200, 64});
    t.notes.push_back({at + 288, at + 400, 67, 0, 60});
  }
  const MusicalFacts m = Parsed(song(480, {t})).music();
  ASSERT_TRUE(m.estimated_tempo);
  EXPECT_NEAR(m.estimated_tempo->bpm, 100.0, 2.0);
  EXPECT_GT(m.estimated_tempo->confidence, 0.0);
  EXPECT_DOUBLE_EQ(*m.tempo_mean_bpm, 120.0) << "the tempo map still says 120";
}

TEST(TempoEstimation, TooFewOnsetsGiveNoEstimate) {
  std::vector<Onset> few = {{0, 1}, {0.5, 1}, {1.0, 1}};
  EXPECT_FALSE(estimate_tempo(few, std::pmr::new_delete_resource()));
}

// ---- fingerprint --------------------------------------------------------------------------------

TEST(Fingerprint, IgnoresTrackOrderNamesEncodingAndPpqButNotNotes) {
  const SongTrack melody{{{0, 96, 72}, {96, 192, 74}, {192, 384, 76}}, {{0, text_meta(0x03, "Melody")}}};
  const SongTrack bass{{{0, 192, 48}, {192, 384, 43}}, {}};
  const SongTrack drums{{{0, 24, 36, 9}, {96, 120, 38, 9}}, {}};
  const Bytes a = song(96, {melody, bass, drums});

  // Same music: other track order, no names, a text event, running status and velocity-0 offs,
  // other velocities and channels, and every tick doubled at ppq 192.
  auto doubled = [](SongTrack t, std::uint8_t channel) {
    for (auto& n : t.notes) {
      n.onset *= 2;
      n.end *= 2;
      n.velocity = 50;
      if (n.channel != 9) n.channel = channel;
    }
    t.events = {{0, text_meta(0x01, "re-saved")}};
    return t;
  };
  const Bytes b = song(192, {doubled(drums, 0), doubled(bass, 3), doubled(melody, 4)}, {true, true});

  SongTrack changed = melody;
  changed.notes[1].pitch = 75;
  const Bytes c = song(96, {changed, bass, drums});
  SongTrack as_pitched = drums;
  for (auto& n : as_pitched.notes) n.channel = 0;
  const Bytes d = song(96, {melody, bass, as_pitched});

  const auto fa = Parsed(a).music().fingerprint;
  const auto fb = Parsed(b).music().fingerprint;
  const auto fc = Parsed(c).music().fingerprint;
  const auto fd = Parsed(d).music().fingerprint;
  ASSERT_TRUE(fa && fb && fc && fd);
  EXPECT_EQ(to_hex(*fa), to_hex(*fb));
  EXPECT_NE(to_hex(*fa), to_hex(*fc)) << "one pitch changed";
  EXPECT_NE(to_hex(*fa), to_hex(*fd)) << "drum notes moved off the drum channel";
  EXPECT_NE(Parsed(a).bytes, Parsed(b).bytes);
  EXPECT_FALSE(Parsed(song(96, {SongTrack{}})).music().fingerprint) << "no notes, no fingerprint";
}

// ---- loop candidates ----------------------------------------------------------------------------

TEST(Loops, FindsRepeatingBarsAtTheirShortestLength) {
  // ppq 4, 4/4: 16 ticks a bar. Track 0: bars X Y X Y X Y Z -> a 2-bar loop from bar 0, 3 times.
  // Track 1 (drums): the same bar 4 times -> a 1-bar loop, 4 times, not also a 2- or 4-bar one.
  auto bar = [](std::uint32_t b, std::initializer_list<std::uint8_t> pitches, std::uint8_t ch = 0) {
    std::vector<SongNote> out;
    std::uint32_t pos = 0;
    for (auto p : pitches) {
      out.push_back({b * 16 + pos, b * 16 + pos + 4, p, ch});
      pos += 4;
    }
    return out;
  };
  SongTrack melody;
  const std::initializer_list<std::uint8_t> x = {60, 62, 64, 65}, y = {67, 65, 64, 62}, z = {60, 60, 60, 60};
  for (std::uint32_t b = 0; b < 6; ++b) {
    for (const auto& n : bar(b, b % 2 == 0 ? x : y)) melody.notes.push_back(n);
  }
  for (const auto& n : bar(6, z)) melody.notes.push_back(n);
  SongTrack beat;
  for (std::uint32_t b = 0; b < 4; ++b) {
    for (const auto& n : bar(b, {36, 42, 38, 42}, 9)) beat.notes.push_back(n);
  }
  // One drum hit one tick late in bar 3: within the 1/24-quarter grid? ppq 4 -> grid of 1 tick: no.
  const MusicalFacts m = Parsed(song(4, {melody, beat})).music();
  ASSERT_EQ(m.loops.size(), 2U);
  EXPECT_EQ(m.loops[0].track, 0);
  EXPECT_EQ(m.loops[0].start_bar, 0U);
  EXPECT_EQ(m.loops[0].bars, 2);
  EXPECT_EQ(m.loops[0].repeats, 3U);
  EXPECT_EQ(m.loops[0].start_tick, 0U);
  EXPECT_EQ(m.loops[0].end_tick, 32U);
  EXPECT_EQ(m.loops[0].notes, 8U);
  EXPECT_TRUE(m.loops[0].exact);
  EXPECT_FALSE(m.loops[0].drum);
  EXPECT_EQ(m.loops[1].track, 1);
  EXPECT_EQ(m.loops[1].bars, 1);
  EXPECT_EQ(m.loops[1].repeats, 4U);
  EXPECT_TRUE(m.loops[1].drum);
}

TEST(Loops, ToleratesSmallTimingAndVelocityDifferencesButSaysSo) {
  // ppq 480: the grid is 20 ticks. Four bars of the same riff; in bar 2 one note is 5 ticks late
  // and another softer: still a 1-bar loop of 4, not exact.
  SongTrack t;
  for (std::uint32_t b = 0; b < 4; ++b) {
    const std::uint32_t s = b * 1920;
    t.notes.push_back({s, s + 400, 60, 0, 100});
    t.notes.push_back({s + 480 + (b == 2 ? 5U : 0U), s + 880, 63, 0, 100});
    t.notes.push_back({s + 960, s + 1400, 67, 0, b == 2 ? std::uint8_t{70} : std::uint8_t{100}});
  }
  const MusicalFacts m = Parsed(song(480, {t})).music();
  ASSERT_EQ(m.loops.size(), 1U);
  EXPECT_EQ(m.loops[0].bars, 1);
  EXPECT_EQ(m.loops[0].repeats, 4U);
  EXPECT_FALSE(m.loops[0].exact);
}

// The loop rule of find_loops (patterns.hpp), written the plain way: every bar of the track laid
// out, bars compared as sorted lists of notes (no hashes). With ppq 4 the 1/24-quarter grid is one
// tick, so the tolerant and the exact comparison differ only in velocity and channel.
std::vector<LoopCandidate> naive_loops(const std::vector<Note>& notes, const std::vector<std::uint32_t>& bars) {
  using Key = std::tuple<std::uint32_t, std::uint32_t, int>;
  using ExactKey = std::tuple<std::uint32_t, std::uint32_t, int, int, int>;
  std::vector<LoopCandidate> out;
  std::uint16_t tracks = 0;
  for (const auto& n : notes) tracks = std::max<std::uint16_t>(tracks, static_cast<std::uint16_t>(n.track + 1));
  for (std::uint16_t t = 0; t < tracks; ++t) {
    std::vector<Note> mine;
    for (const auto& n : notes) {
      if (n.track == t) mine.push_back(n);
    }
    if (mine.size() < 2) continue;
    const auto nbt = static_cast<std::size_t>(std::upper_bound(bars.begin(), bars.end(), mine.back().onset) - bars.begin());
    std::vector<std::vector<Key>> tol(nbt);
    std::vector<std::vector<ExactKey>> exact(nbt);
    std::vector<int> pitched(nbt);
    for (const auto& n : mine) {
      const auto b = static_cast<std::size_t>(std::upper_bound(bars.begin(), bars.end(), n.onset) - bars.begin()) - 1;
      const std::uint32_t rel = n.onset - bars[b];
      tol[b].emplace_back(rel, n.duration(), n.pitch | (n.drum() ? 0x80 : 0));
      exact[b].emplace_back(rel, n.duration(), n.pitch, n.velocity, n.channel);
      if (!n.drum()) ++pitched[b];
    }
    for (auto& v : tol) std::sort(v.begin(), v.end());
    for (auto& v : exact) std::sort(v.begin(), v.end());
    auto same = [&](std::size_t a, std::size_t b, std::size_t len) {
      for (std::size_t k = 0; k < len; ++k) {
        if (b + k >= nbt || tol[a + k] != tol[b + k]) return false;
      }
      return true;
    };
    for (const std::size_t len : {1U, 2U, 4U, 8U}) {
      if (2 * len > nbt) break;
      std::size_t i = 0;
      while (i + 2 * len <= nbt) {
        bool nonempty = false;
        for (std::size_t k = i; k < i + len; ++k) nonempty = nonempty || !tol[k].empty();
        if (!nonempty || !same(i, i + len, len)) {
          ++i;
          continue;
        }
        std::uint32_t repeats = 2;
        while (i + (repeats + 1) * len <= nbt && same(i + (repeats - 1) * len, i + repeats * len, len)) ++repeats;
        if (len == 1 || !same(i, i + len / 2, len / 2)) {
          LoopCandidate c;
          c.track = t;
          c.start_bar = static_cast<std::uint32_t>(i);
          c.bars = static_cast<std::uint8_t>(len);
          c.repeats = repeats;
          c.start_tick = bars[i];
          c.end_tick = bars[i + len];
          c.exact = true;
          int p = 0;
          for (std::size_t k = i; k < i + len; ++k) {
            c.notes += static_cast<std::uint32_t>(tol[k].size());
            p += pitched[k];
          }
          for (std::size_t k = i; k < i + (repeats - 1) * len; ++k) c.exact = c.exact && exact[k] == exact[k + len];
          c.drum = p == 0;
          out.push_back(c);
        }
        i += repeats * len;
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const LoopCandidate& a, const LoopCandidate& b) {
    return std::tie(a.track, a.start_bar, a.bars) < std::tie(b.track, b.start_bar, b.bars);
  });
  return out;
}

TEST(Loops, SparseTracksGiveTheSameCandidatesAsLayingOutEveryBar) {
  // find_loops lays out only the bars near each track's notes (a hostile file can declare a note at
  // tick 0 and one 60,000 bars later in every track). Random tracks made of a few bar patterns,
  // with gaps of 1 to 40 bars (15, 16 and 17 included: where the layout splits), must give exactly
  // the candidates of the plain rule above.
  constexpr std::uint32_t kBarTicks = 16;  // ppq 4, 4/4
  std::mt19937 rng(20261121);
  std::vector<std::uint32_t> bars;
  for (std::uint32_t b = 0; b < 60000; ++b) bars.push_back(b * kBarTicks);
  const std::vector<std::vector<std::pair<std::uint8_t, std::uint8_t>>> patterns = {
      {{0, 60}, {4, 62}, {8, 64}}, {{0, 67}}, {{2, 36}, {10, 38}}, {{0, 60}, {4, 62}, {8, 65}}};
  std::size_t compared = 0;
  for (int round = 0; round < 200; ++round) {
    std::vector<Note> notes;
    for (std::uint16_t track = 0; track < 3; ++track) {
      std::uint32_t bar = std::uniform_int_distribution<std::uint32_t>(0, 20)(rng);
      const int runs = std::uniform_int_distribution<int>(1, 8)(rng);
      for (int r = 0; r < runs && bar < 59000; ++r) {
        const auto& pattern = patterns[std::uniform_int_distribution<std::size_t>(0, patterns.size() - 1)(rng)];
        const int repeats = std::uniform_int_distribution<int>(1, 5)(rng);
        const std::uint32_t every = std::array<std::uint32_t, 4>{1, 2, 4, 8}[std::uniform_int_distribution<int>(0, 3)(rng)];
        const bool drum = track == 2;
        for (int k = 0; k < repeats; ++k, bar += every) {
          for (const auto& [pos, pitch] : pattern) {
            const auto velocity = static_cast<std::uint8_t>(k == 2 && r % 2 == 1 ? 70 : 100);
            notes.push_back({bar * kBarTicks + pos, bar * kBarTicks + pos + 3, track,
                             static_cast<std::uint8_t>(drum ? kDrumChannel : 0), pitch, velocity});
          }
        }
        const std::array<std::uint32_t, 6> gaps{1, 15, 16, 17, 40, 3};
        bar += gaps[std::uniform_int_distribution<std::size_t>(0, gaps.size() - 1)(rng)];
      }
    }
    std::stable_sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) { return a.onset < b.onset; });
    const auto found = find_loops(notes, bars, 4, std::pmr::new_delete_resource(), 1000);
    const auto expected = naive_loops(notes, bars);
    ASSERT_EQ(found.size(), expected.size()) << "round " << round;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto& a = found[i];
      const auto& e = expected[i];
      EXPECT_EQ(std::tie(a.track, a.start_bar, a.bars, a.repeats, a.start_tick, a.end_tick, a.notes, a.exact, a.drum),
                std::tie(e.track, e.start_bar, e.bars, e.repeats, e.start_tick, e.end_tick, e.notes, e.exact, e.drum))
          << "round " << round << ", candidate " << i;
    }
    compared += expected.size();
  }
  EXPECT_GT(compared, 500U) << "the rounds must produce candidates to compare";
}

}  // namespace
}  // namespace midisift::analyze
