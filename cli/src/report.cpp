#include "report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifdef MIDISIFT_HAVE_CHARTJS
namespace midisift::cli::detail {
extern const std::string_view kChartJs[];
extern const std::size_t kChartJsPieces;
}  // namespace midisift::cli::detail
#endif

namespace midisift::cli {

namespace {

using nlohmann::json;

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Rows of a query as text (NULL as ""), for the aggregates below (midisift's own SQL).
std::vector<std::vector<std::string>> rows(db::Database& database, const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  db::query(database, sql, {}, [&](db::Row row) {
    auto& r = out.emplace_back();
    for (const auto& v : row) r.emplace_back(v ? std::string(*v) : std::string());
  });
  return out;
}

double number(const std::string& s) { return s.empty() ? 0.0 : std::stod(s); }

std::string percent(double part, double whole) {
  return whole > 0 ? fmt::format("{:.0f}%", 100.0 * part / whole) : std::string("-");
}

// A chart for the page's script (see kScript): Chart.js type, axis titles, labels, datasets.
struct Chart {
  json spec;
  Chart(std::string id, std::string title, std::string reading, std::string x, std::string y, std::string type = "bar") {
    spec = {{"id", std::move(id)}, {"title", std::move(title)}, {"reading", std::move(reading)}, {"x", std::move(x)},
            {"y", std::move(y)},   {"type", std::move(type)},   {"labels", json::array()},
            {"datasets", json::array()}, {"horizontal", false}};
  }
  Chart& labels(const std::vector<std::string>& l) {
    spec["labels"] = l;
    return *this;
  }
  Chart& dataset(const std::string& label, std::vector<double> data) {
    spec["datasets"].push_back({{"label", label}, {"data", std::move(data)}});
    return *this;
  }
  Chart& horizontal() {
    spec["horizontal"] = true;
    return *this;
  }
  [[nodiscard]] bool empty() const {
    for (const auto& d : spec["datasets"]) {
      for (const auto& v : d["data"]) {
        if (v.get<double>() != 0) return false;
      }
    }
    return true;
  }
};

// A histogram of `expression` over `from` in bins of `width` from `low` (values below go to the
// first bin, from `high` on to the last): labels "a-b" in `unit`, counts per bin.
struct Bins {
  std::vector<std::string> labels;
  std::vector<double> counts;
};
Bins histogram(db::Database& database, const std::string& expression, const std::string& from, double low, double high,
               double width, int decimals = 0) {
  const int n = static_cast<int>(std::lround((high - low) / width));
  Bins b;
  for (int i = 0; i <= n; ++i) {
    const double a = low + i * width;
    b.labels.push_back(i == n ? fmt::format(">= {:.{}f}", a, decimals)
                              : fmt::format("{:.{}f}-{:.{}f}", a, decimals, a + width, decimals));
  }
  b.counts.assign(b.labels.size(), 0.0);
  const std::string sql = fmt::format(
      "SELECT max(0, min({3}, CAST(floor((({0}) - {1}) / {2}) AS INTEGER))) AS bin, count(*) FROM {4} "
      "WHERE ({0}) IS NOT NULL GROUP BY bin",
      expression, low, width, n, from);
  for (const auto& r : rows(database, sql)) b.counts[static_cast<std::size_t>(number(r[0]))] = number(r[1]);
  return b;
}

// (label, files) pairs of a two-column query.
std::pair<std::vector<std::string>, std::vector<double>> pairs(db::Database& database, const std::string& sql,
                                                               const std::string& null_label = "none") {
  std::pair<std::vector<std::string>, std::vector<double>> out;
  for (const auto& [label, n] : db::count_rows(database, sql)) {
    out.first.push_back(label.value_or(null_label));
    out.second.push_back(static_cast<double>(n));
  }
  return out;
}

// The page's own script: draws every chart of the JSON data, then checks that each canvas holds
// drawn pixels and records the outcome on <body> (data-charts, data-drawn, data-blank, data-errors),
// which the tests read from the rendered DOM.
constexpr std::string_view kScript = R"js(
(function () {
  const errors = [];
  window.addEventListener('error', e => errors.push(String(e.message)));
  const palette = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5'];
  const data = JSON.parse(document.getElementById('midisift-data').textContent);
  const main = document.getElementById('charts');
  const drawn = [], blank = [];
  for (const c of data.charts) {
    const section = document.createElement('section');
    const h = document.createElement('h2'); h.textContent = c.title; section.appendChild(h);
    const p = document.createElement('p'); p.className = 'reading'; p.textContent = c.reading; section.appendChild(p);
    const canvas = document.createElement('canvas');
    canvas.id = 'chart-' + c.id; canvas.width = 900; canvas.height = c.horizontal ? Math.max(260, 28 * c.labels.length) : 340;
    section.appendChild(canvas); main.appendChild(section);
    try {
      new Chart(canvas.getContext('2d'), {
        type: c.type,
        data: {labels: c.labels, datasets: c.datasets.map((d, i) => Object.assign({
          backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length],
          borderWidth: c.type === 'line' ? 2 : 0, pointRadius: 0, tension: 0.2}, d))},
        options: {
          responsive: false, animation: false, indexAxis: c.horizontal ? 'y' : 'x',
          plugins: {legend: {display: c.datasets.length > 1}},
          scales: {
            x: {title: {display: true, text: c.horizontal ? c.y : c.x}},
            y: {title: {display: true, text: c.horizontal ? c.x : c.y}, beginAtZero: true}
          }
        }
      });
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
      (painted > 100 ? drawn : blank).push(c.id);
    } catch (e) {
      errors.push(c.id + ': ' + e.message);
      blank.push(c.id);
    }
  }
  document.body.dataset.charts = String(data.charts.length);
  document.body.dataset.drawn = drawn.join(' ');
  document.body.dataset.blank = blank.join(' ');
  document.body.dataset.errors = errors.join(' | ');
  document.body.dataset.done = 'yes';
})();
)js";

constexpr std::string_view kStyle = R"css(
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; }
section { margin: 2.2em 0; } h2 { font-size: 1.15em; margin-bottom: 0.2em; }
.reading { margin-top: 0; color: #444; } table { border-collapse: collapse; font-size: 0.9em; }
td, th { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
.numbers span { display: inline-block; margin-right: 2em; } .numbers b { font-size: 1.4em; }
)css";

}  // namespace

void write_report(db::Database& database, const std::string& title, std::ostream& out) {
#ifndef MIDISIFT_HAVE_CHARTJS
  (void)database;
  (void)title;
  (void)out;
  throw std::runtime_error("this midisift was built without Chart.js (Debian libjs-chart.js): no report");
#else
  const auto stats = db::collection_stats(database, 12);
  std::uint64_t analyzed = 0, failed = 0, recovered = 0;
  for (const auto& [status, n] : stats.status) {
    (status == "failed" ? failed : analyzed) += n;
    if (status == "recovered") recovered = n;
  }
  std::vector<Chart> charts;
  std::string note;  // a sentence for a collection with nothing to chart
  const std::string files = "files";

  if (stats.files == 0) {
    note = "The database holds no files: scan a collection into it first (midisift scan FOLDER --db FILE).";
  } else {
    auto [status_labels, status_counts] = pairs(database, "SELECT status, count(*) FROM present_files GROUP BY 1 ORDER BY 2 DESC");
    charts.push_back(Chart("status", "Files by status",
                           fmt::format("{} of {} files were read ({} of them with repairs); {} could not be read.",
                                       analyzed, stats.files, recovered, failed),
                           "Status", "Files")
                         .labels(status_labels)
                         .dataset(files, status_counts));
    auto [fail_labels, fail_counts] = pairs(database, "SELECT error_code, count(*) FROM failures GROUP BY 1 ORDER BY 2 DESC");
    if (!fail_labels.empty()) {
      charts.push_back(Chart("failures", "Why files failed",
                             fmt::format("The most common reason: {} ({} files).", fail_labels[0],
                                         static_cast<std::uint64_t>(fail_counts[0])),
                             "Error code", "Files")
                           .labels(fail_labels)
                           .dataset(files, fail_counts)
                           .horizontal());
    }
    auto [repair_labels, repair_counts] =
        pairs(database, "SELECT code, count(DISTINCT file_id) FROM repairs GROUP BY 1 ORDER BY 2 DESC, 1");
    if (!repair_labels.empty()) {
      charts.push_back(Chart("repairs", "Repairs the reader made",
                             fmt::format("{} kinds of damage were repaired; the most common, {}, in {} files.",
                                         repair_labels.size(), repair_labels[0], static_cast<std::uint64_t>(repair_counts[0])),
                             "Diagnostic code", "Files with it")
                           .labels(repair_labels)
                           .dataset(files, repair_counts)
                           .horizontal());
    }
  }
  if (analyzed == 0 && stats.files > 0) {
    note = "Every file of this collection failed to read: there is no music to chart (see the failures above).";
  } else if (analyzed > 0) {
    // Keys: 12 tonics, major and minor side by side.
    static constexpr std::string_view kTonics[12] = {"C",     "C#/Db", "D",     "Eb/D#", "E",     "F",
                                                     "F#/Gb", "G",     "Ab/G#", "A",     "Bb/A#", "B"};
    std::vector<double> major(12, 0), minor(12, 0);
    for (const auto& r : rows(database,
                              "SELECT estimated_key_tonic, estimated_key_mode, count(*) FROM present_files "
                              "WHERE estimated_key_tonic IS NOT NULL GROUP BY 1, 2")) {
      (r[1] == "minor" ? minor : major)[static_cast<std::size_t>(number(r[0])) % 12] = number(r[2]);
    }
    const auto agree = rows(database,
                            "SELECT count(*) FILTER (WHERE key_signature IS NOT NULL AND key_signature <> 'C major'), "
                            "count(*) FILTER (WHERE key_signature IS NOT NULL AND key_signature <> 'C major' AND "
                            "key_signature = estimated_key), count(*) FILTER (WHERE estimated_key LIKE '% minor'), "
                            "count(estimated_key) FROM file_overview")[0];
    charts.push_back(Chart("keys", "Estimated keys",
                           fmt::format("{} of files are in minor keys. Where a file has a key signature event other "
                                       "than C major ({} files), it agrees with the estimate for {}.",
                                       percent(number(agree[2]), number(agree[3])), agree[0],
                                       percent(number(agree[1]), number(agree[0]))),
                           "Tonic", "Files")
                         .labels(std::vector<std::string>(std::begin(kTonics), std::end(kTonics)))
                         .dataset("major", major)
                         .dataset("minor", minor));
    // Tempo.
    const auto est = histogram(database, "estimated_bpm", "present_files", 30, 240, 10);
    const auto map = histogram(database, "tempo_mean_bpm", "present_files", 30, 240, 10);
    const auto median = rows(database,
                             "SELECT estimated_bpm FROM present_files WHERE estimated_bpm IS NOT NULL ORDER BY 1 "
                             "LIMIT 1 OFFSET (SELECT count(estimated_bpm) / 2 FROM present_files)");
    charts.push_back(Chart("tempo", "Tempo: estimated from the notes, and the tempo map's mean",
                           fmt::format("The median tempo estimated from the onsets is {} BPM; the tempo map is what "
                                       "the file declares (many performances declare 120).",
                                       median.empty() ? std::string("-") : fmt::format("{:.0f}", number(median[0][0]))),
                           "Tempo (BPM, quarter notes per minute)", "Files")
                         .labels(est.labels)
                         .dataset("estimated from the notes", est.counts)
                         .dataset("tempo map, time-weighted mean", map.counts));
    // Length of the music, log-spaced bins.
    static constexpr double kEdges[] = {0, 10, 30, 60, 120, 180, 240, 300, 420, 600, 900, 1800, 3600};
    std::vector<std::string> length_labels;
    std::vector<double> length_counts(std::size(kEdges), 0.0);
    std::string cases = "CASE";
    for (std::size_t i = 0; i < std::size(kEdges); ++i) {
      if (i + 1 < std::size(kEdges)) {
        length_labels.push_back(fmt::format("{}-{} s", kEdges[i], kEdges[i + 1]));
        cases += fmt::format(" WHEN last_note_seconds < {} THEN {}", kEdges[i + 1], i);
      } else {
        length_labels.push_back(fmt::format(">= {} s", kEdges[i]));
        cases += fmt::format(" ELSE {} END", i);
      }
    }
    for (const auto& r : rows(database, "SELECT " + cases + " AS bin, count(*) FROM present_files WHERE "
                                        "last_note_seconds IS NOT NULL GROUP BY bin")) {
      length_counts[static_cast<std::size_t>(number(r[0]))] = number(r[1]);
    }
    charts.push_back(Chart("length", "Length of the music",
                           fmt::format("{:.1f} hours of music in {} files (to the last note; trailing silence left out).",
                                       stats.music_hours, stats.timed_files),
                           "Length to the last note (seconds, bins widening with length)", "Files")
                         .labels(length_labels)
                         .dataset(files, length_counts));
    auto [ts_labels, ts_counts] = pairs(database,
                                        "SELECT time_signature, count(*) FROM file_overview GROUP BY 1 ORDER BY 2 DESC, 1 "
                                        "LIMIT 12");
    charts.push_back(Chart("meter", "Time signatures (the first of each file)",
                           fmt::format("{} is the most common ({} files); files without one are 4/4 by SMF 1.0's rule.",
                                       ts_labels.empty() ? "-" : ts_labels[0],
                                       ts_counts.empty() ? 0 : static_cast<std::uint64_t>(ts_counts[0])),
                           "Time signature", "Files")
                         .labels(ts_labels)
                         .dataset(files, ts_counts));
    auto [family_labels, family_counts] =
        pairs(database, "SELECT family, files FROM instrument_families ORDER BY files DESC, family");
    if (!family_labels.empty()) {
      charts.push_back(Chart("families", "General MIDI instrument families",
                             fmt::format("{} is played in the most files ({}).", family_labels[0],
                                         static_cast<std::uint64_t>(family_counts[0])),
                             "Family (General MIDI 1)", "Files using it")
                           .labels(family_labels)
                           .dataset(files, family_counts)
                           .horizontal());
    }
    const auto nps = histogram(database, "notes_per_second", "present_files", 0, 40, 2);
    charts.push_back(Chart("density", "Note density",
                           "Notes per second of music: a solo line plays a few, a full arrangement tens.",
                           "Notes per second", "Files")
                         .labels(nps.labels)
                         .dataset(files, nps.counts));
    const auto poly = histogram(database, "polyphony_mean", "present_files", 0, 12, 0.5, 1);
    charts.push_back(Chart("polyphony", "Polyphony",
                           "Mean number of notes sounding at once, over the time any sounds (drums left out).",
                           "Notes sounding at once (mean)", "Files")
                         .labels(poly.labels)
                         .dataset(files, poly.counts));
    Chart rates("muspy-rates", "MusPy metrics: rates (Dong et al., ISMIR 2020)",
                "Each line is one metric's distribution over the files; a scale consistency near 1 is tonal music.",
                "Value (0-1)", "Files", "line");
    for (const char* metric : {"scale_consistency", "pitch_in_scale_rate", "polyphony_rate", "empty_beat_rate",
                               "groove_consistency", "drum_pattern_consistency"}) {
      const auto h = histogram(database, metric, "present_files", 0, 1, 0.05, 2);
      rates.labels(h.labels).dataset(metric, h.counts);
    }
    charts.push_back(std::move(rates));
    Chart entropy("muspy-entropy", "MusPy metrics: pitch entropies",
                  "Shannon entropy of the pitch and pitch-class histograms: higher is more varied.", "Entropy (bits)",
                  "Files", "line");
    for (const char* metric : {"pitch_entropy", "pitch_class_entropy"}) {
      const auto h = histogram(database, metric, "present_files", 0, 7, 0.25, 2);
      entropy.labels(h.labels).dataset(metric, h.counts);
    }
    charts.push_back(std::move(entropy));
    // Loop candidates.
    std::vector<std::string> bar_labels = {"1 bar", "2 bars", "4 bars", "8 bars"};
    std::vector<double> drum_loops(4, 0), pitched_loops(4, 0);
    for (const auto& r : rows(database, "SELECT l.bars, l.drum, count(*) FROM loops l JOIN present_files f ON "
                                        "f.id = l.file_id GROUP BY 1, 2")) {
      const int bars = static_cast<int>(number(r[0]));
      const std::size_t i = bars == 1 ? 0 : bars == 2 ? 1 : bars == 4 ? 2 : 3;
      (r[1] == "1" ? drum_loops : pitched_loops)[i] += number(r[2]);
    }
    Chart loops("loops", "Loop candidates by length",
                "Bar-aligned segments of one track that repeat back to back: material for the looper's clips.",
                "Length", "Loop candidates");
    loops.labels(bar_labels).dataset("drums", drum_loops).dataset("pitched", pitched_loops);
    if (!loops.empty()) {
      charts.push_back(std::move(loops));
      const auto loop_tempo = histogram(database, "coalesce(f.tempo_mean_bpm, f.estimated_bpm)",
                                        "loops l JOIN present_files f ON f.id = l.file_id", 30, 240, 10);
      charts.push_back(Chart("loop-tempo", "Loop candidates by tempo",
                             "The tempo of the file a loop comes from (tempo map, else the estimate): what "
                             "`clips export --where \"bpm BETWEEN a AND b\"` selects.",
                             "Tempo (BPM)", "Loop candidates")
                           .labels(loop_tempo.labels)
                           .dataset("loops", loop_tempo.counts));
    }
  }

  // Tables, bounded.
  std::string tables;
  if (stats.files > 0) {
    const auto worst = rows(database,
                            "SELECT path, status, diagnostic_count FROM present_files WHERE diagnostic_count > 0 "
                            "ORDER BY diagnostic_count DESC, path LIMIT 10");
    const auto failures = rows(database, "SELECT path, error_code, error FROM failures ORDER BY path LIMIT 10");
    if (!worst.empty()) {
      tables += "<section><h2>The most repaired files</h2><table><tr><th>file</th><th>repairs</th></tr>";
      for (const auto& r : worst) tables += fmt::format("<tr><td>{}</td><td>{}</td></tr>", html_escape(r[0]), r[2]);
      tables += "</table></section>";
    }
    if (!failures.empty()) {
      tables += fmt::format("<section><h2>Failed files (the first {} of {})</h2><table><tr><th>file</th><th>why</th></tr>",
                            failures.size(), failed);
      for (const auto& r : failures) {
        tables += fmt::format("<tr><td>{}</td><td>{}: {}</td></tr>", html_escape(r[0]), html_escape(r[1]), html_escape(r[2]));
      }
      tables += "</table></section>";
    }
    tables += fmt::format("<section><h2>Duplicates</h2><p class=\"reading\">{} groups of byte-identical files ({} "
                          "redundant copies); {} groups of musically identical files with different bytes.</p>",
                          stats.byte_duplicate_groups, stats.redundant_copies, stats.musical_duplicate_groups);
    std::map<db::DupeKind, int> shown;
    for (const auto& g : db::duplicate_groups(database, db::DupeKind::All)) {
      if (++shown[g.kind] > 10) continue;
      tables += fmt::format("<p><b>{} {}</b> ({} files)</p><ul>", g.kind == db::DupeKind::Bytes ? "md5" : "fingerprint",
                            html_escape(g.key), g.files.size());
      for (const auto& m : g.files) tables += "<li>" + html_escape(m.path) + "</li>";
      tables += "</ul>";
    }
    tables += "</section><section><h2>Expressive performances and quantised sequences</h2><p class=\"reading\">Not "
              "computed by this version of midisift.</p></section>";
  }

  json data = {{"charts", json::array()}};
  for (auto& c : charts) data["charts"].push_back(std::move(c.spec));
  // Inside <script>, "</" would end the element: escape it.
  std::string payload = data.dump(-1, ' ', false, json::error_handler_t::replace);
  for (std::size_t at = 0; (at = payload.find("</", at)) != std::string::npos; at += 3) payload.replace(at, 2, "<\\/");

  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(title)
      << "</title><style>" << kStyle << "</style></head><body>\n<h1>" << html_escape(title) << "</h1>\n";
  out << fmt::format("<p class=\"meta\">{} &middot; written by midisift report</p>\n", html_escape(database.path().string()));
  out << fmt::format(
      "<p class=\"numbers\"><span><b>{}</b> files</span><span><b>{:.1f}</b> MB</span><span><b>{:.1f}</b> hours of "
      "music</span><span><b>{}</b> failed</span></p>\n",
      stats.files, stats.megabytes, stats.music_hours, failed);
  if (!note.empty()) out << R"(<p class="note" id="note">)" << html_escape(note) << "</p>\n";
  out << R"(<main id="charts"></main>)" << '\n' << tables << "\n";
  out << R"(<script type="application/json" id="midisift-data">)" << payload << "</script>\n<script>";
  for (std::size_t i = 0; i < detail::kChartJsPieces; ++i) out << detail::kChartJs[i];
  out << "</script>\n<script>" << kScript << "</script>\n</body></html>\n";
#endif
}

}  // namespace midisift::cli
