// midisift._core: the reader, the analysis and the scan, for Python (pybind11). The public names
// and their documentation are those of python/midisift/__init__.py and __init__.pyi.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <memory_resource>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "midisift/analyze/notes.hpp"
#include "midisift/parse/arena.hpp"
#include "midisift/parse/input_file.hpp"
#include "midisift/parse/smf.hpp"
#include "midisift/scan/columns.hpp"
#include "midisift/scan/file_result.hpp"
#include "scan.hpp"

namespace py = pybind11;

namespace midisift::python {

namespace {

// A file that is not a readable Standard MIDI File: raised as midisift.MidiError (a ValueError).
struct MidiError : std::runtime_error {
  MidiError(std::string code_, std::uint32_t offset_, const std::string& message)
      : std::runtime_error(message), code(std::move(code_)), offset(offset_) {}
  std::string code;
  std::uint32_t offset;
};

// An I/O failure: raised as OSError (FileNotFoundError, PermissionError, IsADirectoryError).
[[noreturn]] void raise_os_error(const std::string& path, const parse::OpenError& e) {
  PyObject* type = PyExc_OSError;
  if (e.code == parse::Fatal::Vanished) type = PyExc_FileNotFoundError;
  else if (e.message.find("ermission denied") != std::string::npos) type = PyExc_PermissionError;
  else if (e.message.find("is a directory") != std::string::npos) type = PyExc_IsADirectoryError;
  PyErr_SetString(type, (path + ": " + e.message).c_str());
  throw py::error_already_set();
}

struct NoteRow {
  std::uint32_t onset, end;               // ticks
  double onset_seconds, end_seconds;
  std::uint8_t pitch, velocity, channel;  // channel 1-16
  std::uint16_t track;
  std::uint8_t program;                   // General MIDI program in force on the channel, 0-127
};

struct EventRow {
  std::uint32_t tick;
  std::uint8_t status, data1, data2;
  std::uint32_t offset, length;  // byte offset in the file; payload length of meta and sysex events
};

// The source: a path (str or os.PathLike) or bytes-like. Paths come back as str.
std::optional<std::string> path_of(const py::object& source) {
  if (py::isinstance<py::bytes>(source) || py::isinstance<py::bytearray>(source) ||
      py::isinstance<py::memoryview>(source)) {
    return std::nullopt;
  }
  return py::str(py::module_::import("os").attr("fspath")(source)).cast<std::string>();
}

std::string bytes_of(const py::object& source) {
  if (py::isinstance<py::bytes>(source)) return source.cast<std::string>();
  const auto buffer = py::reinterpret_borrow<py::buffer>(source);
  const py::buffer_info info = buffer.request();
  return {static_cast<const char*>(info.ptr), static_cast<std::size_t>(info.size * info.itemsize)};
}

// Ticks to seconds and back, vectorised (the file's tempo map; SMPTE: frames at a fixed rate).
// Reads the file when made and keeps its own memory: it outlives the Score it came from.
class TempoMapPy {
 public:
  explicit TempoMapPy(const parse::Smf& smf) : map_(smf, &memory_) {
    const auto& h = smf.header();
    if (h.is_smpte() && h.smpte_fps() != 0 && h.ticks_per_frame() != 0) {
      smpte_seconds_per_tick_ = 1.0 / (static_cast<double>(h.smpte_fps()) * h.ticks_per_frame());
    }
    for (const auto& c : map_.changes()) starts_.push_back({c.tick, map_.seconds(c.tick), c.tempo});
  }
  [[nodiscard]] double seconds(double tick) const noexcept {
    if (smpte_seconds_per_tick_ > 0) return tick * smpte_seconds_per_tick_;
    const auto t = static_cast<std::uint32_t>(std::clamp(tick, 0.0, 4294967295.0));
    return map_.seconds(t) + (tick - t) * seconds_per_tick_at(t);
  }
  [[nodiscard]] double ticks(double seconds) const noexcept {
    if (smpte_seconds_per_tick_ > 0) return seconds / smpte_seconds_per_tick_;
    if (map_.ppq() == 0) return 0;
    double tick = 0, start = 0, tempo = analyze::kDefaultTempo;
    for (const auto& s : starts_) {
      if (s.seconds > seconds) break;
      if (s.tempo == 0 && s.seconds == seconds && tempo != 0) break;  // the first tick at that time
      tick = s.tick;
      start = s.seconds;
      tempo = s.tempo;
    }
    if (tempo == 0) return tick;  // a stopped clock (Set Tempo 0): its first tick
    return tick + (seconds - start) / (tempo * 1e-6 / map_.ppq());
  }
  [[nodiscard]] py::list changes() const {
    py::list out;
    for (const auto& s : starts_) out.append(py::make_tuple(s.tick, s.seconds, s.tempo));
    return out;
  }

 private:
  [[nodiscard]] double seconds_per_tick_at(std::uint32_t tick) const noexcept {
    double tempo = analyze::kDefaultTempo;
    for (const auto& s : starts_) {
      if (s.tick > tick) break;
      tempo = s.tempo;
    }
    return map_.ppq() == 0 ? 0.0 : tempo * 1e-6 / map_.ppq();
  }
  struct Start {
    std::uint32_t tick;
    double seconds;
    std::uint32_t tempo;
  };
  std::pmr::unsynchronized_pool_resource memory_;
  analyze::TempoMap map_;
  std::vector<Start> starts_;
  double smpte_seconds_per_tick_ = 0;
};

// A parsed file: owns its bytes and its memory, so the views inside stay valid as long as it lives.
class Score {
 public:
  Score(const py::object& source, bool strict, const std::string& alloc) {
    if (alloc == "arena") {
      mr_ = std::make_unique<parse::Arena>();
    } else if (alloc != "heap") {
      throw py::value_error("alloc must be 'arena' or 'heap', not '" + alloc + "'");
    }
    path_ = path_of(source);
    if (path_) {
      parse::OpenError error;
      bool opened = false;
      {
        const py::gil_scoped_release release;
        opened = input_.open(*path_, error, parse::Access::Read);
      }
      if (!opened) {
        if (error.code == parse::Fatal::EmptyFile || error.code == parse::Fatal::TooLarge) {
          throw MidiError(std::string(parse::to_string(error.code)), 0, *path_ + ": " + error.message);
        }
        raise_os_error(*path_, error);
      }
    } else {
      owned_ = bytes_of(source);
    }
    const auto bytes = path_ ? input_.bytes() : std::as_bytes(std::span(owned_.data(), owned_.size()));
    {
      const py::gil_scoped_release release;
      smf_.emplace(parse::parse(bytes, resource(), parse::ParseOptions{strict}));
    }
    if (const auto& f = smf_->failure()) {
      throw MidiError(std::string(parse::to_string(f->code)), f->offset,
                      (path_ ? *path_ + ": " : std::string()) + parse::describe(*f));
    }
  }
  Score(const Score&) = delete;
  Score& operator=(const Score&) = delete;
  ~Score() { smf_.reset(); }  // before the arena

  [[nodiscard]] std::pmr::memory_resource* resource() const {
    return mr_ ? mr_.get() : std::pmr::new_delete_resource();
  }
  [[nodiscard]] const parse::Smf& smf() const { return *smf_; }
  [[nodiscard]] const std::optional<std::string>& path() const { return path_; }

  [[nodiscard]] py::list diagnostics() const {
    py::list out;
    for (const auto& d : smf_->diagnostics()) {
      py::dict entry;
      entry["code"] = std::string(parse::to_string(d.code));
      entry["track"] = d.track == parse::kFileLevel ? py::object(py::none()) : py::object(py::int_(d.track));
      entry["offset"] = d.offset;
      out.append(entry);
    }
    return out;
  }

  [[nodiscard]] py::array events(std::size_t track) const {
    const auto tracks = smf_->tracks();
    if (track >= tracks.size()) {
      throw py::index_error("no track " + std::to_string(track) + " (the file has " + std::to_string(tracks.size()) +
                            ", numbered from 0)");
    }
    const auto& ev = tracks[track].events;
    py::array_t<EventRow> out(static_cast<py::ssize_t>(ev.size()));
    auto* rows = out.mutable_data();
    for (std::size_t i = 0; i < ev.size(); ++i) {
      const auto& e = ev[i];
      rows[i] = EventRow{e.tick, e.status, e.data1, e.data2, e.offset, e.length};
    }
    return out;
  }

  [[nodiscard]] py::list track_names() const {
    // The first Sequence/Track Name (FF 03) of each track, as the analysis reads it.
    const analyze::FileFacts facts = analyze::compute_facts(*smf_, resource());
    const analyze::MusicalFacts music = analyze::analyze_music(*smf_, facts, resource());
    py::list out;
    for (const auto& n : music.track_names) out.append(std::string(n));
    return out;
  }

  [[nodiscard]] py::array notes() const {
    std::vector<NoteRow> rows;
    {
      const py::gil_scoped_release release;
      std::pmr::monotonic_buffer_resource scratch;
      const analyze::NoteList list = analyze::extract_notes(*smf_, &scratch);
      const TempoMapPy tempo(*smf_);
      // Programs in force per channel, merged by tick over all tracks (MIDI 1.0; as the analysis).
      struct Program {
        std::uint32_t tick;
        std::uint8_t channel, program;
      };
      std::vector<Program> programs;
      for (const auto& t : smf_->tracks()) {
        for (const auto& e : t.events) {
          if (e.is_channel() && e.kind() == parse::StatusKind::ProgramChange) programs.push_back({e.tick, e.channel(), static_cast<std::uint8_t>(e.data1 & 0x7F)});
        }
      }
      std::stable_sort(programs.begin(), programs.end(), [](const Program& a, const Program& b) { return a.tick < b.tick; });
      std::uint8_t program[16]{};
      std::size_t next = 0;
      rows.reserve(list.notes.size());
      for (const auto& n : list.notes) {
        while (next < programs.size() && programs[next].tick <= n.onset) {
          program[programs[next].channel] = programs[next].program;
          ++next;
        }
        rows.push_back({n.onset, n.end, tempo.seconds(n.onset), tempo.seconds(n.end), n.pitch, n.velocity,
                        static_cast<std::uint8_t>(n.channel + 1), n.track, program[n.channel]});
      }
    }
    py::array_t<NoteRow> out(static_cast<py::ssize_t>(rows.size()));
    std::copy(rows.begin(), rows.end(), out.mutable_data());
    return out;
  }

 private:
  std::unique_ptr<std::pmr::memory_resource> mr_;
  parse::InputFile input_;
  std::string owned_;
  std::optional<std::string> path_;
  std::optional<parse::Smf> smf_;
};

// Every fact of the `files` row (scan::to_json), as a dict under the column names.
py::object analyze_source(const py::object& source, bool strict) {
  const auto path = path_of(source);
  std::string owned;
  if (!path) owned = bytes_of(source);
  std::string json;
  parse::OpenError open_error;
  bool failed_to_open = false;
  {
    const py::gil_scoped_release release;
    parse::Arena arena;
    scan::FileJob job;
    if (path) {
      job.run(*path, &arena, parse::ParseOptions{strict});
      const auto code = job.result.error_code;
      if (code == "vanished" || code == "io_error" || code == "not_a_file" || code == "unstable") {
        failed_to_open = true;
        open_error.code = code == "vanished" ? parse::Fatal::Vanished : parse::Fatal::Io;
        open_error.message = job.result.error;
      }
    } else {
      job.result.path = "<bytes>";
      job.analyze(std::as_bytes(std::span(owned.data(), owned.size())), &arena, parse::ParseOptions{strict});
    }
    if (!failed_to_open) json = scan::to_json(job.result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    job.clear();
  }
  if (failed_to_open) raise_os_error(*path, open_error);
  return py::module_::import("json").attr("loads")(json);
}

// The scan pipeline of `midisift scan`, on a worker thread; Ctrl-C (KeyboardInterrupt) asks it to
// commit what is finished and stop, as SIGINT does to the command.
py::dict scan_paths(const std::vector<std::string>& paths, const std::string& db, unsigned jobs, bool strict,
                    bool rescan, std::optional<bool> progress) {
  cli::ScanOptions options;
  for (const auto& p : paths) options.roots.emplace_back(p);
  options.database = db;
  options.jobs = jobs;
  options.strict = strict;
  options.rescan = rescan;
  options.progress = progress.value_or(::isatty(STDERR_FILENO) != 0);
  std::atomic<bool> interrupt{false};
  options.interrupt = &interrupt;
  std::ostringstream warnings;
  auto future = std::async(std::launch::async, [&] { return cli::run_scan(options, warnings); });
  bool interrupted = false;
  {
    const py::gil_scoped_release release;
    while (future.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      const py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) {
        interrupted = true;
        interrupt = true;
        PyErr_Clear();
        break;
      }
    }
    future.wait();
  }
  cli::ScanSummary s;
  try {
    s = future.get();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    throw py::error_already_set();
  }
  if (!warnings.str().empty()) py::module_::import("sys").attr("stderr").attr("write")(warnings.str());
  if (interrupted) {
    PyErr_SetString(PyExc_KeyboardInterrupt, "scan interrupted: finished files are committed");
    throw py::error_already_set();
  }
  py::dict out;
  out["files"] = s.files;
  out["ok"] = s.ok;
  out["recovered"] = s.recovered;
  out["failed"] = s.failed;
  out["unchanged"] = s.unchanged;
  out["missing"] = s.missing;
  out["bytes"] = s.bytes;
  out["seconds"] = s.seconds;
  out["walk_errors"] = s.walk_errors;
  return out;
}

}  // namespace

}  // namespace midisift::python

PYBIND11_MODULE(_core, m) {
  using namespace midisift::python;
  namespace parse = midisift::parse;
  m.doc() = "midisift's C++ core; use the package `midisift` (python/midisift/__init__.py).";
  PYBIND11_NUMPY_DTYPE(NoteRow, onset, end, onset_seconds, end_seconds, pitch, velocity, channel, track, program);
  PYBIND11_NUMPY_DTYPE(EventRow, tick, status, data1, data2, offset, length);
  // The exception type lives as long as the interpreter: a raw reference, never released (a static
  // py::object would be released after the interpreter is gone).
  static PyObject* const midi_error = PyErr_NewExceptionWithDoc(
      "midisift.MidiError", "Not a readable Standard MIDI File: .code (e.g. 'not_midi') and .offset (bytes).",
      PyExc_ValueError, nullptr);
  m.add_object("MidiError", py::handle(midi_error).inc_ref());
  // pybind11 takes void(*)(std::exception_ptr): the parameter is by value.
  py::register_exception_translator([](std::exception_ptr p) {  // NOLINT(performance-unnecessary-value-param)
    try {
      if (p) std::rethrow_exception(p);
    } catch (const MidiError& e) {
      py::object error = py::reinterpret_borrow<py::object>(midi_error)(e.what());
      error.attr("code") = e.code;
      error.attr("offset") = e.offset;
      PyErr_SetObject(midi_error, error.ptr());
    }
  });

  // Element-wise over anything numpy turns into an array of float64; a scalar gives a 0-d array.
  const auto elementwise = [](double (TempoMapPy::*f)(double) const) {
    return [f](const TempoMapPy& t, const py::array_t<double, py::array::c_style | py::array::forcecast>& in) {
      py::array_t<double> out(in.request().shape);
      const double* src = in.data();
      double* dst = out.mutable_data();
      for (py::ssize_t i = 0; i < in.size(); ++i) dst[i] = (t.*f)(src[i]);
      return out;
    };
  };
  py::class_<TempoMapPy>(m, "TempoMap")
      .def("seconds", elementwise(&TempoMapPy::seconds), py::arg("ticks"))
      .def("ticks", elementwise(&TempoMapPy::ticks), py::arg("seconds"))
      .def_property_readonly("changes", &TempoMapPy::changes);

  py::class_<Score>(m, "Score")
      .def(py::init<const py::object&, bool, const std::string&>(), py::arg("source"), py::arg("strict") = false,
           py::arg("alloc") = "arena")
      .def_property_readonly("path", [](const Score& s) { return s.path(); })
      .def_property_readonly("format", [](const Score& s) { return s.smf().header().format; })
      .def_property_readonly("ppq",
                             [](const Score& s) -> std::optional<int> {
                               if (s.smf().header().is_smpte()) return std::nullopt;
                               return s.smf().header().ppq();
                             })
      .def_property_readonly("smpte",
                             [](const Score& s) -> std::optional<std::pair<int, int>> {
                               const auto& h = s.smf().header();
                               if (!h.is_smpte()) return std::nullopt;
                               return std::pair<int, int>{h.smpte_fps(), h.ticks_per_frame()};
                             })
      .def_property_readonly("status", [](const Score& s) { return std::string(parse::to_string(s.smf().status())); })
      .def_property_readonly("riff", [](const Score& s) { return s.smf().riff(); })
      .def_property_readonly("diagnostics", &Score::diagnostics)
      .def_property_readonly("track_count", [](const Score& s) { return s.smf().tracks().size(); })
      .def("track_names", &Score::track_names)
      .def("events", &Score::events, py::arg("track"))
      .def("notes", &Score::notes)
      .def_property_readonly("tempo_map", [](const Score& s) { return std::make_unique<TempoMapPy>(s.smf()); });

  m.def("analyze", &analyze_source, py::arg("source"), py::arg("strict") = false);
  m.def("scan", &scan_paths, py::arg("paths"), py::arg("db"), py::arg("jobs") = 0U, py::arg("strict") = false,
        py::arg("rescan") = false, py::arg("progress") = py::none());
  m.attr("__version__") = MIDISIFT_VERSION;
}
