// Clip export, the host side of the looper's SD card (firmware/FORMAT.md): segments of a MIDI file
// become 7-byte-event clip files, saved through the firmware library itself (HostFileSystem), so
// host and device share one code path; a card can be verified and imaged for FAT32.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "midisift/clip/card_files.hpp"
#include "midisift/clip/clip_file.hpp"
#include "midisift/parse/smf.hpp"

namespace midisift::clipexport {

/// Bad input for an export (a bar range the file does not have, SMPTE division, an empty
/// selection, ...): the message names the problem; the caller adds the file.
class ExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Which part of a file becomes a clip.
struct Selection {
  std::optional<std::uint16_t> track;   ///< 0-based MTrk index (as the database's `track` columns)
  std::optional<std::uint8_t> channel;  ///< 0-15 (the CLI's --channel takes 1-16)
  std::uint32_t first_bar = 1;          ///< 1-based, inclusive (bars from the time signatures, MeterMap)
  std::uint32_t last_bar = 1;           ///< 1-based, inclusive
};

/// A clip before it is saved.
struct ClipDraft {
  clip::ClipHeader header;            ///< event_count and payload_crc are set when saved
  std::vector<clip::Event> events;    ///< sorted by tick, ticks in [0, header.loop_ticks]
  std::uint32_t notes = 0;            ///< note-ons in the segment
  std::uint32_t cut_notes = 0;        ///< notes still sounding at the segment end: note-off added at the loop end
  std::uint32_t dropped_note_offs = 0;  ///< note-offs of notes struck before the segment (left out)
};

/// Cuts bars first_bar..last_bar of the selected track and/or channel out of `smf` as a clip at
/// `clip_ppq` ticks per quarter note:
/// - every channel voice message in [segment start, segment end) is kept, its tick rescaled from
///   the file's ppq (rounded to nearest; a message that would land on the loop end is moved one
///   tick before it);
/// - a note struck in the segment and released after its end (or never) gets its note-off at the
///   loop end (tick == loop_ticks, allowed for note-offs by FORMAT.md); a note struck before the
///   segment is not restruck and its note-off is left out;
/// - the last program change before the segment, per selected channel, is put at tick 0;
/// - loop length: the segment's whole bars; time signature and tempo: those in force at its start.
/// Throws ExportError for SMPTE division, no track/channel given, a bar range outside the file,
/// a track index out of range, or a segment without any channel message.
[[nodiscard]] ClipDraft make_clip(const parse::Smf& smf, const Selection& selection, std::uint16_t clip_ppq,
                                  std::string_view display_name);

/// Reads and parses `midi` (leniently, as a scan does) and cuts `selection` out of it (make_clip).
/// Throws ExportError naming the problem (unreadable, not a MIDI file, or as make_clip).
[[nodiscard]] ClipDraft export_segment(const std::filesystem::path& midi, const Selection& selection,
                                       std::uint16_t clip_ppq, std::string_view display_name);

/// A clip's display name (at most clip::kClipNameSize - 1 characters) from a stem and a suffix
/// that tells the clips of one file apart (" t2 b17"): the stem is shortened so that the suffix
/// always survives.
[[nodiscard]] std::string display_name(std::string_view stem, std::string_view suffix);

/// A card file name ("NAME.CLP") from any text: in 8.3 mode upper-cased, characters outside
/// A-Z 0-9 _ - become '_', at most 8; with long names letters, digits, space, _ - kept, at most 35.
/// Path separators and dots never survive (no traversal); DOS device names and INDEX get a '_'
/// appended; nothing left gives "CLIP".
[[nodiscard]] std::string card_file_name(std::string_view wish, bool long_names);

struct ExportOptions {
  std::filesystem::path card;  ///< folder standing for the card's root; created if missing
  std::uint16_t ppq = 96;
  bool long_names = false;
  bool replace = false;        ///< overwrite a clip of the same name instead of picking a new name
};

/// One clip written (or found identical on the card).
struct ExportedClip {
  std::string file;            ///< name in /clips
  bool unchanged = false;      ///< an identical clip of that name was already there
  ClipDraft draft;
};

/// A card being prepared: creates the layout on construction (throws std::runtime_error with the
/// firmware status when the folder cannot be used), saves clips, rewrites the index in finish().
class CardWriter {
 public:
  explicit CardWriter(ExportOptions options);
  ~CardWriter();
  CardWriter(const CardWriter&) = delete;
  CardWriter& operator=(const CardWriter&) = delete;

  /// Saves `draft` as `wish` (sanitised by card_file_name, made unique unless options.replace).
  ExportedClip save(ClipDraft draft, std::string_view wish);
  /// Rewrites /clips/INDEX.BIN from the clips on the card.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Problems found by verify_card, one line each, plus counts.
struct CardReport {
  std::size_t clips = 0, sessions = 0, undo_snapshots = 0;
  std::vector<std::string> problems;
};

/// Checks a card without changing it: the layout's folders; every clip file (header, size, every
/// event, both CRC-32s, name rules); the index (its CRC, each entry against its file, every clip
/// indexed once); sessions (CRC, clips they name exist); undo rings (CRC, each snapshot's CRC);
/// leftover temporary files of an interrupted save.
[[nodiscard]] CardReport verify_card(const std::filesystem::path& card, bool long_names);

/// The entries of the card's /clips/INDEX.BIN, its header and CRC checked. Status NotFound: no
/// index (not a card prepared by `midisift clips export`); another status: the index is damaged.
[[nodiscard]] clip::Status read_card_index(const std::filesystem::path& card, std::vector<clip::IndexEntry>& entries);

/// Builds a FAT32 image of the card folder with mkfs.fat and mcopy (Debian: dosfstools, mtools).
/// Size: at least 64 MiB, or twice the content. Throws std::runtime_error naming the tool that failed.
void build_fat_image(const std::filesystem::path& card, const std::filesystem::path& image);

}  // namespace midisift::clipexport
