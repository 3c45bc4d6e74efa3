// `midisift report`: one self-contained HTML page about a scanned collection, with charts.
#pragma once

#include <iosfwd>
#include <string>

#include "midisift/db/database.hpp"

namespace midisift::cli {

/// Writes the report of `database` to `out`: one HTML file that opens offline in any browser
/// (Chart.js, as Debian installs it, and the data are inline; the page makes no network request).
/// Everything is aggregated in SQL: the page's size depends on the number of distinct values
/// (keys, codes, bins), not on the number of files, except two bounded tables (the 10 most
/// repaired and the first 10 failed files; the 10 largest duplicate groups of each kind).
///
/// Charts, each with a title, axis labels with units and a one-line reading: estimated keys (12
/// tonics, major and minor side by side, with how often the key signature agrees), estimated tempo
/// and tempo-map mean, length of the music (log bins), time signatures, General MIDI families,
/// notes per second, polyphony, MusPy's rates and entropies, loop candidates by length and tempo,
/// status, repairs and failures by code. A database without files, or whose files all failed, says
/// so instead of drawing empty axes. Throws `db::Error`, and std::runtime_error when midisift was
/// built without Chart.js.
void write_report(db::Database& database, const std::string& title, std::ostream& out);

}  // namespace midisift::cli
