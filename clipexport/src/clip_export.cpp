#include "midisift/clipexport/clip_export.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <memory_resource>
#include <ostream>

#include "midisift/analyze/notes.hpp"
#include "midisift/clip/card_files.hpp"
#include "midisift/clip/host_file_system.hpp"
#include "midisift/clip/library.hpp"
#include "midisift/parse/input_file.hpp"

extern char** environ;

namespace midisift::clipexport {

namespace {

std::string status_text(clip::Status s) { return clip::to_string(s); }

/// A selected channel message with its place in the file, for a stable merge across tracks.
struct Source {
  std::uint32_t tick;
  std::uint16_t track;
  std::uint32_t index;
  const parse::Event* event;
};

std::uint32_t rescale(std::uint64_t ticks, std::uint16_t from_ppq, std::uint16_t to_ppq) {
  return static_cast<std::uint32_t>((ticks * to_ppq * 2 + from_ppq) / (2ULL * from_ppq));
}

}  // namespace

ClipDraft make_clip(const parse::Smf& smf, const Selection& sel, std::uint16_t clip_ppq, std::string_view display_name) {
  const std::uint16_t ppq = smf.header().ppq();
  if (ppq == 0) throw ExportError("SMPTE time division: no bars to cut a loop from");
  if (clip_ppq == 0 || clip_ppq > 32767) throw ExportError("clip ppq must be 1-32767");
  if (!sel.track && !sel.channel) throw ExportError("choose a track (--track) or a channel (--channel)");
  if (sel.track && *sel.track >= smf.tracks().size()) {
    throw ExportError(fmt::format("no track {} (the file has {} tracks, numbered from 0)", *sel.track, smf.tracks().size()));
  }
  if (sel.first_bar == 0 || sel.last_bar < sel.first_bar) throw ExportError("bars are numbered from 1, as A-B with A <= B");
  if (sel.last_bar - sel.first_bar + 1 > 0xFFFF) throw ExportError("too many bars for one clip");

  std::uint32_t end_tick = 0;
  for (const auto& t : smf.tracks()) {
    if (!t.events.empty()) end_tick = std::max(end_tick, t.events.back().tick);
  }
  std::pmr::monotonic_buffer_resource mr;
  const analyze::MeterMap meter(smf, end_tick, &mr, sel.last_bar + 1);
  const auto bars = meter.bars();
  if (sel.last_bar > bars.size()) {
    throw ExportError(fmt::format("bars {}-{} asked, the file has {} bars", sel.first_bar, sel.last_bar, bars.size()));
  }
  const auto signature_at = [&](std::uint32_t tick) {
    analyze::TimeSignature ts;
    for (const auto& s : meter.signatures()) {
      if (s.tick <= tick) ts = s;
    }
    return ts;
  };
  const std::uint32_t start = bars[sel.first_bar - 1];
  const std::uint64_t end64 = sel.last_bar < bars.size() ? bars[sel.last_bar]
                                                         : bars[sel.last_bar - 1] + signature_at(bars[sel.last_bar - 1]).bar_ticks(ppq);
  if (end64 > 0xFFFFFFFFULL) throw ExportError("segment ends past 2^32 ticks");
  const auto end = static_cast<std::uint32_t>(end64);

  ClipDraft draft;
  auto& h = draft.header;
  h.ppq = clip_ppq;
  h.loop_ticks = rescale(end - start, ppq, clip_ppq);
  if (h.loop_ticks == 0) throw ExportError("the segment is shorter than one tick at the clip's ppq");
  h.bars = static_cast<std::uint16_t>(sel.last_bar - sel.first_bar + 1);
  const auto ts = signature_at(start);
  h.numerator = ts.numerator;
  h.denominator = ts.denominator;
  const analyze::TempoMap tempo(smf, &mr);
  for (const auto& c : tempo.changes()) {
    if (c.tick <= start && c.tempo > 0 && c.tempo <= 0xFFFFFF) h.tempo_us = c.tempo;
  }
  std::size_t n = 0;
  for (char c : display_name) {
    if (n + 1 >= clip::kClipNameSize) break;
    h.name[n++] = (c >= 0x20 && c <= 0x7E) ? c : '?';
  }

  // The selected channel messages of all tracks, in tick order (ties: track, then file order).
  std::vector<Source> sources;
  for (std::uint16_t t = 0; t < smf.tracks().size(); ++t) {
    if (sel.track && t != *sel.track) continue;
    const auto& events = smf.tracks()[t].events;
    for (std::uint32_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      if (!e.is_channel() || (sel.channel && e.channel() != *sel.channel)) continue;
      sources.push_back({e.tick, t, i, &e});
    }
  }
  std::stable_sort(sources.begin(), sources.end(), [](const Source& a, const Source& b) { return a.tick < b.tick; });

  const auto to_clip = [&](std::uint32_t tick, bool note_off) {
    std::uint32_t t = rescale(tick - start, ppq, clip_ppq);
    if (t >= h.loop_ticks && !note_off) t = h.loop_ticks - 1;
    return std::min(t, h.loop_ticks);
  };
  std::map<std::uint8_t, clip::Event> program_before;  // channel -> last program change before start
  std::map<std::uint16_t, std::deque<std::size_t>> sounding;  // (channel << 8 | pitch) -> note-ons, FIFO
  std::vector<clip::Event> events;
  for (const auto& s : sources) {
    const auto& e = *s.event;
    const parse::StatusKind kind = e.kind();
    const bool note_off = e.is_note_off();
    const auto key = static_cast<std::uint16_t>((e.channel() << 8) | e.data1);
    if (e.tick < start) {
      if (kind == parse::StatusKind::ProgramChange) program_before[e.channel()] = clip::Event{0, e.status, e.data1, 0};
      continue;
    }
    if (note_off) {
      auto it = sounding.find(key);
      if (it == sounding.end() || it->second.empty()) {
        if (e.tick <= end) ++draft.dropped_note_offs;
        continue;
      }
      it->second.pop_front();
      if (e.tick > end) {  // released after the segment: cut at the loop end
        events.push_back({h.loop_ticks, static_cast<std::uint8_t>(0x80 | e.channel()), e.data1, 0});
        ++draft.cut_notes;
      } else {
        events.push_back({to_clip(e.tick, true), e.status, e.data1, e.data2});
      }
      continue;
    }
    if (e.tick >= end) continue;
    if (e.is_note_on()) {
      sounding[key].push_back(events.size());
      ++draft.notes;
    }
    events.push_back({to_clip(e.tick, false), e.status, e.data1, e.data2});
  }
  for (auto& [key, ons] : sounding) {
    for (std::size_t i = 0; i < ons.size(); ++i) {
      events.push_back({h.loop_ticks, static_cast<std::uint8_t>(0x80 | (key >> 8)), static_cast<std::uint8_t>(key & 0x7F), 0});
      ++draft.cut_notes;
    }
  }
  std::stable_sort(events.begin(), events.end(), [](const clip::Event& a, const clip::Event& b) { return a.tick < b.tick; });
  for (const auto& [channel, pc] : program_before) draft.events.push_back(pc);
  draft.events.insert(draft.events.end(), events.begin(), events.end());
  if (events.empty()) throw ExportError(fmt::format("no channel messages in bars {}-{} of the selection", sel.first_bar, sel.last_bar));
  return draft;
}

ClipDraft export_segment(const std::filesystem::path& midi, const Selection& selection, std::uint16_t clip_ppq,
                         std::string_view display_name) {
  parse::InputFile input;
  parse::OpenError error;
  if (!input.open(midi, error, parse::Access::Read)) throw ExportError(error.message);
  std::pmr::monotonic_buffer_resource mr;
  const parse::Smf smf = parse::parse(input.bytes(), &mr, parse::ParseOptions{});
  if (smf.failure()) throw ExportError("not a readable MIDI file: " + parse::describe(*smf.failure()));
  return make_clip(smf, selection, clip_ppq, display_name);
}

std::string display_name(std::string_view stem, std::string_view suffix) {
  constexpr std::size_t kMax = clip::kClipNameSize - 1;
  if (suffix.size() >= kMax) return std::string(suffix.substr(0, kMax));
  std::string name(stem.substr(0, std::min(stem.size(), kMax - suffix.size())));
  name += suffix;
  return name;
}

std::string card_file_name(std::string_view wish, bool long_names) {
  std::string base;
  const std::size_t max = long_names ? 35 : 8;
  for (char c : wish) {
    char out = '_';
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') out = c;
    if (c >= 'a' && c <= 'z') out = long_names ? c : static_cast<char>(c - 'a' + 'A');
    if (c == ' ' && long_names) out = ' ';
    if ((out == '_' || out == ' ') && (base.empty() || base.back() == '_' || base.back() == ' ')) continue;
    base += out;
  }
  while (!base.empty() && (base.back() == '_' || base.back() == ' ' || base.back() == '-')) base.pop_back();
  while (!base.empty() && (base.front() == '-')) base.erase(base.begin());
  if (base.size() > max) {
    // Keep a trailing number ("pop909 001" -> "POP9_001"): it is what tells similar names apart.
    std::size_t digits = 0;
    while (digits < base.size() && digits < 4 && std::isdigit(static_cast<unsigned char>(base[base.size() - 1 - digits]))) {
      ++digits;
    }
    const std::string tail = base.substr(base.size() - digits);
    const bool separated = digits > 0 && digits < base.size() && (base[base.size() - digits - 1] == '_' || base[base.size() - digits - 1] == ' ');
    const std::size_t head = max - digits - (separated ? 1 : 0);
    base = base.substr(0, head) + (separated ? std::string(1, base[base.size() - digits - 1]) : std::string()) + tail;
  }
  while (!base.empty() && (base.back() == '_' || base.back() == ' ')) base.pop_back();
  if (base.empty()) base = "CLIP";
  std::string file = base + ".CLP";
  if (!clip::valid_file_name(file.c_str(), "CLP", long_names)) {
    if (base.size() >= max) base.resize(max - 1);
    base += '_';
    file = base + ".CLP";
  }
  return file;
}

struct CardWriter::Impl {
  ExportOptions options;
  clip::HostFileSystem fs;
  clip::Library library;
  std::uint8_t scratch[clip::kClipHeaderMaxSize] = {};
  explicit Impl(ExportOptions o) : options(std::move(o)), fs(options.card.string()), library(fs) {}
};

CardWriter::CardWriter(ExportOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.card, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create card folder {}: {}", options.card.string(), ec.message()));
  impl_ = std::make_unique<Impl>(std::move(options));
  impl_->library.set_long_names(impl_->options.long_names);
  const auto fail = [&](const char* what, clip::Status s) {
    throw std::runtime_error(fmt::format("{} {}: {}", what, impl_->options.card.string(), status_text(s)));
  };
  if (const auto s = impl_->library.format(); s != clip::Status::Ok) fail("cannot lay out the card in", s);
  if (const auto s = impl_->library.mount(); s != clip::Status::Ok) fail("cannot mount the card in", s);
}

CardWriter::~CardWriter() = default;

ExportedClip CardWriter::save(ClipDraft draft, std::string_view wish) {
  ExportedClip out;
  const std::string first = card_file_name(wish, impl_->options.long_names);
  const std::string base = first.substr(0, first.size() - 4);
  const std::size_t max = impl_->options.long_names ? 35 : 8;
  // The payload CRC the clip will have, to recognise an identical clip already on the card.
  clip::Crc32 crc;
  for (const auto& e : draft.events) {
    std::uint8_t b[clip::kEventSize];
    clip::encode(e, b);
    crc.update(b, sizeof b);
  }
  for (unsigned k = 1;; ++k) {
    std::string name = first;
    if (k > 1) {
      const std::string suffix = fmt::format("_{}", k);
      if (suffix.size() >= max) throw std::runtime_error("no free clip name left for " + first);
      name = base.substr(0, std::min(base.size(), max - suffix.size())) + suffix + ".CLP";
    }
    const std::string path = "/clips/" + name;
    clip::FileInfo info;
    if (impl_->fs.stat(path.c_str(), info) == clip::Status::NotFound || impl_->options.replace) {
      out.file = name;
      break;
    }
    clip::ClipHeader existing;
    if (clip::verify_clip_file(impl_->fs, path.c_str(), existing, impl_->scratch) == clip::Status::Ok &&
        existing.payload_crc == crc.value() && existing.event_count == draft.events.size() &&
        existing.loop_ticks == draft.header.loop_ticks && existing.ppq == draft.header.ppq &&
        std::string_view(existing.name) == std::string_view(draft.header.name)) {
      out.file = name;
      out.unchanged = true;
      out.draft = std::move(draft);
      return out;
    }
  }
  const auto s = impl_->library.save_clip(out.file.c_str(), draft.header, draft.events, /*update_index=*/false);
  if (s != clip::Status::Ok) {
    throw std::runtime_error(fmt::format("cannot save clip {} in {}: {}", out.file, impl_->options.card.string(),
                                         status_text(s)));
  }
  out.draft = std::move(draft);
  return out;
}

void CardWriter::finish() {
  std::uint16_t invalid = 0;
  if (const auto s = impl_->library.rebuild_index(&invalid); s != clip::Status::Ok) {
    throw std::runtime_error(fmt::format("cannot write the index of {}: {}", impl_->options.card.string(), status_text(s)));
  }
}

namespace {

class NameCollector final : public clip::DirVisitor {
 public:
  bool entry(const char* name, const clip::FileInfo& info) noexcept override {
    try {
      names.emplace_back(name, info);
    } catch (...) {
      return false;
    }
    return true;
  }
  std::vector<std::pair<std::string, clip::FileInfo>> names;
};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The whole index file, its header decoded and its CRC checked.
clip::Status read_index(clip::HostFileSystem& fs, std::vector<std::uint8_t>& bytes, clip::CardHeader& header) {
  clip::FileInfo info;
  if (auto s = fs.stat("/clips/INDEX.BIN", info); s != clip::Status::Ok) return s;
  bytes.resize(info.size);
  clip::FileHandle f;
  if (auto s = fs.open("/clips/INDEX.BIN", clip::OpenMode::Read, f); s != clip::Status::Ok) return s;
  std::size_t got = 0;
  const auto s = fs.read(f, bytes.data(), bytes.size(), got);
  (void)fs.close(f);
  if (s != clip::Status::Ok) return s;
  if (got != bytes.size()) return clip::Status::Truncated;
  if (auto d = clip::decode_card_header(clip::kIndexMagic, bytes.data(), info.size, clip::kIndexEntrySize, header);
      d != clip::Status::Ok) {
    return d;
  }
  const std::uint32_t body = info.size - clip::kCrcSize;
  return clip::crc32(bytes.data(), body) == clip::detail::get_u32(bytes.data() + body) ? clip::Status::Ok
                                                                                       : clip::Status::BadChecksum;
}

/// Record `i` of an index read by read_index.
clip::Status index_entry(const std::vector<std::uint8_t>& bytes, const clip::CardHeader& h, std::uint16_t i,
                         clip::IndexEntry& e) {
  return clip::decode_entry(bytes.data() + h.header_size + static_cast<std::size_t>(i) * h.record_size, e);
}

}  // namespace

CardReport verify_card(const std::filesystem::path& card, bool long_names) {
  CardReport report;
  auto problem = [&](std::string text) { report.problems.push_back(std::move(text)); };
  clip::HostFileSystem fs(card.string());
  std::vector<std::uint8_t> scratch(clip::kClipHeaderMaxSize);
  clip::FileInfo info;
  for (const char* dir : {"/clips", "/sessions", "/undo"}) {
    if (fs.stat(dir, info) != clip::Status::Ok || !info.directory) problem(fmt::format("{}: folder missing", dir));
  }
  // Clip files.
  NameCollector clips;
  (void)fs.list("/clips", clips);
  std::sort(clips.names.begin(), clips.names.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::map<std::string, clip::ClipHeader> valid;
  for (const auto& [name, fi] : clips.names) {
    const std::string path = "/clips/" + name;
    if (fi.directory) {
      problem(path + ": unexpected folder");
      continue;
    }
    if (ends_with(name, "~")) {
      problem(path + ": temporary file of an interrupted save (the looper finishes or discards it at mount)");
      continue;
    }
    if (name == "INDEX.BIN") continue;
    if (!ends_with(name, ".CLP")) {
      problem(path + ": not a clip file (.CLP)");
      continue;
    }
    if (!clip::valid_file_name(name.c_str(), "CLP", long_names)) {
      problem(path + (long_names ? ": name not allowed" : ": not an 8.3 name (use --long-names if the looper's FatFs has FF_USE_LFN)"));
    }
    clip::ClipHeader h;
    if (const auto s = clip::verify_clip_file(fs, path.c_str(), h, scratch); s != clip::Status::Ok) {
      problem(path + ": " + status_text(s));
      continue;
    }
    valid.emplace(name, h);
  }
  report.clips = valid.size();
  // Index.
  clip::Library library(fs);
  clip::CardHeader index_header;
  std::vector<std::uint8_t> index_bytes;
  const auto index_status = read_index(fs, index_bytes, index_header);
  if (index_status != clip::Status::Ok) {
    problem("/clips/INDEX.BIN: " + status_text(index_status));
  } else {
    std::map<std::string, int> seen;
    for (std::uint16_t i = 0; i < index_header.count; ++i) {
      clip::IndexEntry e;
      if (index_entry(index_bytes, index_header, i, e) != clip::Status::Ok) {
        problem(fmt::format("/clips/INDEX.BIN: entry {} unreadable", i));
        continue;
      }
      if (++seen[e.file] == 2) problem(fmt::format("/clips/INDEX.BIN: {} listed twice", e.file));
      const auto it = valid.find(e.file);
      if (it == valid.end()) {
        problem(fmt::format("/clips/INDEX.BIN: entry {} names {}, which is missing or damaged", i, e.file));
      } else if (it->second.payload_crc != e.payload_crc || it->second.event_count != e.event_count ||
                 it->second.loop_ticks != e.loop_ticks) {
        problem(fmt::format("/clips/INDEX.BIN: entry {} does not match /clips/{} (CRC or length differ)", i, e.file));
      }
    }
    for (const auto& [name, h] : valid) {
      if (seen.find(name) == seen.end()) problem(fmt::format("/clips/{}: not in the index", name));
    }
  }
  // Sessions.
  NameCollector sessions;
  (void)fs.list("/sessions", sessions);
  for (const auto& [name, fi] : sessions.names) {
    if (fi.directory || !ends_with(name, ".SES")) {
      problem("/sessions/" + name + (ends_with(name, "~") ? ": temporary file of an interrupted save" : ": not a session file"));
      continue;
    }
    clip::Session session;
    if (const auto s = library.load_session(name.c_str(), session); s != clip::Status::Ok) {
      problem("/sessions/" + name + ": " + status_text(s));
      continue;
    }
    ++report.sessions;
    for (std::uint8_t t = 0; t < session.track_count; ++t) {
      const std::string f = session.tracks[t].file;
      if (!f.empty() && valid.find(f) == valid.end()) {
        problem(fmt::format("/sessions/{}: track {} names {}, which is missing or damaged", name, t + 1, f));
      }
    }
  }
  // Undo rings.
  for (std::uint8_t t = 0; t < clip::kTracks; ++t) {
    const std::string dir = fmt::format("/undo/track{}", t + 1);
    if (fs.stat(dir.c_str(), info) != clip::Status::Ok) {
      problem(dir + ": folder missing");
      continue;
    }
    const std::string idx = dir + "/UNDO.IDX";
    if (fs.stat(idx.c_str(), info) == clip::Status::NotFound) continue;
    std::uint8_t depth = 0;
    if (const auto s = library.undo_depth(t, depth); s != clip::Status::Ok) {
      problem(idx + ": " + status_text(s));
      continue;
    }
    report.undo_snapshots += depth;
  }
  return report;
}

clip::Status read_card_index(const std::filesystem::path& card, std::vector<clip::IndexEntry>& entries) {
  clip::HostFileSystem fs(card.string());
  clip::CardHeader h;
  std::vector<std::uint8_t> bytes;
  if (const auto s = read_index(fs, bytes, h); s != clip::Status::Ok) return s;
  entries.clear();
  for (std::uint16_t i = 0; i < h.count; ++i) {
    clip::IndexEntry e;
    if (index_entry(bytes, h, i, e) == clip::Status::Ok) entries.push_back(e);  // `verify` names the others
  }
  return clip::Status::Ok;
}

namespace {

void run_tool(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error(fmt::format("cannot run {}: {} (Debian packages: dosfstools, mtools)", args[0], std::strerror(rc)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(args[0] + " failed building the image");
}

}  // namespace

void build_fat_image(const std::filesystem::path& card, const std::filesystem::path& image) {
  std::uintmax_t content = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(card)) {
    if (e.is_regular_file()) content += e.file_size();
  }
  // FAT32 needs at least 65,525 clusters: 64 MiB leaves room with mkfs.fat's default cluster size.
  const std::uintmax_t kib = std::max<std::uintmax_t>(std::uintmax_t{64} * 1024, (content * 2) / 1024 + 1024);
  std::error_code ec;
  std::filesystem::remove(image, ec);
  run_tool({"mkfs.fat", "-F", "32", "-n", "MIDISIFT", "-C", image.string(), std::to_string(kib)});
  std::vector<std::string> args = {"mcopy", "-s", "-Q", "-i", image.string()};
  for (const auto& e : std::filesystem::directory_iterator(card)) args.push_back(e.path().string());
  args.emplace_back("::/");
  run_tool(args);
}

}  // namespace midisift::clipexport
