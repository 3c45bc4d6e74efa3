#include "midisift/parse/diagnostic.hpp"
#include "midisift/parse/smf.hpp"

#include <string>

namespace midisift::parse {

std::string_view to_string(ParseStatus status) noexcept {
  switch (status) {
    case ParseStatus::Ok: return "ok";
    case ParseStatus::Recovered: return "recovered";
    case ParseStatus::Failed: return "failed";
  }
  return "failed";
}

std::string_view to_string(Recovered code) noexcept {
  switch (code) {
    case Recovered::LeadingGarbage: return "leading_garbage";
    case Recovered::HeaderLengthNot6: return "header_length_not_6";
    case Recovered::UnknownFormat: return "unknown_format";
    case Recovered::ZeroDivision: return "zero_division";
    case Recovered::Format0MultipleTracks: return "format0_multiple_tracks";
    case Recovered::TrackCountMismatch: return "track_count_mismatch";
    case Recovered::ChunkPastEof: return "chunk_past_eof";
    case Recovered::TrackLengthTooLong: return "track_length_too_long";
    case Recovered::TrackLengthTooShort: return "track_length_too_short";
    case Recovered::SkippedGarbage: return "skipped_garbage";
    case Recovered::TrailingBytes: return "trailing_bytes";
    case Recovered::TruncatedEvent: return "truncated_event";
    case Recovered::MissingEndOfTrack: return "missing_end_of_track";
    case Recovered::EventsAfterEndOfTrack: return "events_after_end_of_track";
    case Recovered::RunningStatusAfterMeta: return "running_status_after_meta";
    case Recovered::RunningStatusAfterSysex: return "running_status_after_sysex";
    case Recovered::RunningStatusUnset: return "running_status_unset";
    case Recovered::DataByteOver127: return "data_byte_over_127";
    case Recovered::UndefinedStatusByte: return "undefined_status_byte";
    case Recovered::SystemMessageInTrack: return "system_message_in_track";
    case Recovered::VlqTooLong: return "vlq_too_long";
    case Recovered::TickOverflow: return "tick_overflow";
    case Recovered::TrackIdCase: return "track_id_case";
    case Recovered::MetaLengthMismatch: return "meta_length_mismatch";
    case Recovered::ConcatenatedSmf: return "concatenated_smf";
  }
  return "unknown";
}

std::string_view to_string(Fatal code) noexcept {
  switch (code) {
    case Fatal::EmptyFile: return "empty_file";
    case Fatal::NotAFile: return "not_a_file";
    case Fatal::Io: return "io_error";
    case Fatal::TooLarge: return "too_large";
    case Fatal::NotMidi: return "not_midi";
    case Fatal::TruncatedHeader: return "truncated_header";
    case Fatal::NoTracks: return "no_tracks";
    case Fatal::StrictViolation: return "strict_violation";
    case Fatal::Vanished: return "vanished";
    case Fatal::Unstable: return "changed_while_reading";
  }
  return "unknown";
}

namespace {
std::string_view sentence(Fatal code) noexcept {
  switch (code) {
    case Fatal::EmptyFile: return "file is empty (0 bytes)";
    case Fatal::NotAFile: return "not a regular file";
    case Fatal::Io: return "could not be read";
    case Fatal::TooLarge: return "file is larger than 4 GiB";
    case Fatal::NotMidi: return "no MThd chunk (not a Standard MIDI File)";
    case Fatal::TruncatedHeader: return "file ends inside the MThd header";
    case Fatal::NoTracks: return "header declares tracks but no MTrk chunk was found";
    case Fatal::StrictViolation: return "strict mode refused a repair";
    case Fatal::Vanished: return "file vanished before it could be read";
    case Fatal::Unstable: return "file changed while it was being read";
  }
  return "unknown failure";
}
}  // namespace

std::string describe(const Failure& failure) {
  std::string s(sentence(failure.code));
  if (failure.strict_cause) {
    s += " (";
    s += to_string(*failure.strict_cause);
    s += ")";
  }
  s += " at byte ";
  s += std::to_string(failure.offset);
  return s;
}

}  // namespace midisift::parse
