#include "clips.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "midisift/clip/config.hpp"
#include "midisift/db/database.hpp"

namespace midisift::cli {

namespace {

using clipexport::CardWriter;
using clipexport::ClipDraft;
using clipexport::ExportedClip;
using clipexport::ExportError;
using clipexport::ExportOptions;
using clipexport::Selection;

void print_clip(std::ostream& out, const std::string& source, const ExportedClip& c) {
  const auto& h = c.draft.header;
  out << fmt::format("{} /clips/{}  \"{}\"  {} bar{} of {}/{}, {} ticks at ppq {}, {:.1f} BPM, {} events",
                     c.unchanged ? "unchanged" : "wrote", c.file, h.name, h.bars, h.bars == 1 ? "" : "s", h.numerator,
                     h.denominator, h.loop_ticks, h.ppq, 60e6 / h.tempo_us, c.draft.events.size());
  if (c.draft.cut_notes > 0) out << fmt::format(", {} notes cut at the loop end", c.draft.cut_notes);
  out << "  <- " << source << '\n';
  if (c.draft.events.size() > clip::kEventsPerTrack) {
    out << fmt::format("  note: {} events is more than a track's {} on the looper; it loads only while other tracks leave room\n",
                       c.draft.events.size(), clip::kEventsPerTrack);
  }
}

std::string stem_of(const std::filesystem::path& p) { return p.stem().string(); }

}  // namespace

int export_file(const std::filesystem::path& midi, const Selection& selection, const ExportOptions& options,
                const std::string& name, std::ostream& out, std::ostream& err) {
  ClipDraft draft;
  const std::string display =
      name.empty() ? fmt::format("{} b{}-{}", stem_of(midi), selection.first_bar, selection.last_bar) : name;
  try {
    draft = clipexport::export_segment(midi, selection, options.ppq, display);
  } catch (const ExportError& e) {
    err << "midisift: " << midi.string() << ": " << e.what() << '\n';
    return 1;
  }
  if (draft.events.size() > clip::kPoolEvents) {
    err << fmt::format("midisift: {}: the clip has {} events; the looper's event pool holds {}\n", midi.string(),
                       draft.events.size(), clip::kPoolEvents);
    return 1;
  }
  CardWriter card(options);
  const auto written = card.save(std::move(draft), name.empty() ? stem_of(midi) : name);
  card.finish();
  print_clip(out, midi.string(), written);
  return 0;
}

int export_from_db(db::Database& database, const std::string& where, std::size_t limit, const ExportOptions& options,
                   std::ostream& out, std::ostream& err) {
  const auto candidates = db::loop_candidates(database, where, limit);
  if (candidates.empty()) {
    err << "midisift: no loop candidate matches the condition (columns: path, track, start_bar, bars, repeats, notes, "
           "exact, drum, bpm, time_signature)\n";
    return 1;
  }
  CardWriter card(options);
  std::size_t failed = 0;
  std::size_t written = 0;
  std::size_t unchanged = 0;
  for (const auto& c : candidates) {
    const Selection sel{c.track, std::nullopt, c.start_bar, c.start_bar + c.bars - 1};
    const std::string stem = stem_of(c.path);
    const std::string display = clipexport::display_name(stem, fmt::format(" t{} b{}", c.track, c.start_bar));
    try {
      ClipDraft draft = clipexport::export_segment(c.path, sel, options.ppq, display);
      if (draft.events.size() > clip::kPoolEvents) throw ExportError("more events than the looper's pool holds");
      const auto clip = card.save(std::move(draft), stem);
      print_clip(out, fmt::format("{} track {} bars {}-{}", c.path, c.track, sel.first_bar, sel.last_bar), clip);
      ++(clip.unchanged ? unchanged : written);
    } catch (const ExportError& e) {
      err << fmt::format("midisift: {}: track {} bars {}-{}: {}\n", c.path, c.track, sel.first_bar, sel.last_bar, e.what());
      ++failed;
    }
  }
  card.finish();
  out << fmt::format("{} clips written, {} already on the card, from {} loop candidates; {} failed\n", written,
                     unchanged, candidates.size(), failed);
  return failed == 0 ? 0 : 1;
}

int list_card(const std::filesystem::path& card, bool json, std::ostream& out, std::ostream& err) {
  std::vector<clip::IndexEntry> entries;
  if (const auto s = clipexport::read_card_index(card, entries); s != clip::Status::Ok) {
    err << "midisift: " << card.string() << "/clips/INDEX.BIN: " << clip::to_string(s)
        << (s == clip::Status::NotFound ? " (not a card prepared by `midisift clips export`)\n"
                                        : " (run `midisift clips verify`)\n");
    return 1;
  }
  for (const auto& e : entries) {
    const double bpm = e.tempo_us > 0 ? 60e6 / e.tempo_us : 0.0;
    if (json) {
      nlohmann::json j = {{"file", e.file}, {"name", e.name}, {"bars", e.bars},
                          {"time_signature", fmt::format("{}/{}", e.numerator, e.denominator)},
                          {"ppq", e.ppq}, {"loop_ticks", e.loop_ticks}, {"bpm", std::round(bpm * 100) / 100},
                          {"events", e.event_count}, {"payload_crc", fmt::format("{:08x}", e.payload_crc)}};
      out << j.dump() << '\n';
    } else {
      out << fmt::format("{:<12} {:<24} {:>3} bars {:>2}/{:<2} {:>7.2f} BPM {:>6} events\n", e.file, e.name, e.bars,
                         e.numerator, e.denominator, bpm, e.event_count);
    }
  }
  if (!json) out << fmt::format("{} clips\n", entries.size());
  return 0;
}

}  // namespace midisift::cli
