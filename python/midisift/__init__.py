"""midisift: fast, lenient analysis of Standard MIDI Files, from Python.

The same C++ reader and analysis as the `midisift` command (one code path): damaged files are read
leniently and every repair is a diagnostic, exactly as `midisift scan` stores them.

    import midisift
    score = midisift.read("song.mid")          # or bytes, or a memoryview
    notes = score.notes()                      # numpy structured array, one row per note
    facts = midisift.analyze("song.mid")       # every column of the database's `files` row
    midisift.scan(["corpus/"], db="corpus.db") # the command's pipeline, all cores
    tables = midisift.open_db("corpus.db")     # tables and views (pandas DataFrames if installed)

The C++ work runs without the GIL: `read` and `analyze` may be called from threads or a
concurrent.futures pool.
"""
from __future__ import annotations

import os
import sqlite3
from typing import Any, NamedTuple, Sequence, Union

from . import _core
from ._core import MidiError, Score, TempoMap, __version__

__all__ = ["read", "analyze", "scan", "open_db", "Score", "Track", "TempoMap", "MidiError", "__version__"]

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]


class Track(NamedTuple):
    """One MTrk chunk: its first Sequence/Track Name (UTF-8, "" if none) and its events."""

    name: str
    events: Any  # numpy structured array, see Score.events


def _tracks(self: Score) -> list[Track]:
    names = self.track_names()
    return [Track(names[i], self.events(i)) for i in range(self.track_count)]


Score.tracks = property(_tracks, doc="The tracks, as Track(name, events), in file order.")


def read(source: Source, *, strict: bool = False, alloc: str = "arena") -> Score:
    """Reads a Standard MIDI File (or a RIFF RMID file holding one).

    source: a path (str or os.PathLike) or the file's bytes (bytes, bytearray, memoryview).
    strict: fail at the first repair instead of recovering (MidiError code "strict_violation").
    alloc: "arena" (one monotonic arena per Score) or "heap" (new/delete); the same parser.

    Damaged files are read leniently, as `midisift scan` reads them: Score.status is "recovered"
    and Score.diagnostics lists each repair (code, track, byte offset). Raises MidiError (a
    ValueError, with .code and .offset) for a file that is no readable SMF, OSError
    (FileNotFoundError, PermissionError, IsADirectoryError) when the file cannot be read.
    """
    return Score(source, strict, alloc)


def analyze(source: Source, *, strict: bool = False) -> dict[str, Any]:
    """Every fact `midisift scan` stores in the `files` row of `source`, under the same names
    (db/SCHEMA.md), plus estimated_key, instruments, loops and diagnostics (lists of dicts): what
    `midisift info --json` prints. A file that is no readable SMF gives status "failed" with
    error_code and error, as its row does; OSError when the file cannot be read.
    """
    return _core.analyze(source, strict)


def scan(paths: Sequence[Union[str, "os.PathLike[str]"]] | str, *, db: Union[str, "os.PathLike[str]"] = "midisift.db",
         jobs: int = 0, strict: bool = False, rescan: bool = False, progress: bool | None = None) -> dict[str, Any]:
    """Runs `midisift scan PATHS --db DB`: every file under the paths gets a row (unchanged files
    are skipped unless rescan). jobs: worker threads (0: all cores). progress: on stderr (default:
    when stderr is a terminal). Returns the summary (files, ok, recovered, failed, unchanged,
    missing, bytes, seconds, walk_errors). KeyboardInterrupt (Ctrl-C) commits what is finished and
    stops, as the command does. RuntimeError when the database cannot be written.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return _core.scan([os.fspath(p) for p in paths], os.fspath(db), jobs, strict, rescan, progress)


_TABLES = ("files", "diagnostics", "instruments", "loops", "present_files", "byte_duplicates", "musical_duplicates",
           "file_overview", "failures", "repairs", "instrument_families")


def open_db(path: Union[str, "os.PathLike[str]"]) -> dict[str, Any]:
    """The tables and views of a database written by `midisift scan`, read-only: a dict of
    pandas DataFrames when pandas is installed, else of lists of dicts (one per row).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            import pandas  # noqa: PLC0415 (optional)
        except ImportError:
            pandas = None
        out = {}
        for name in _TABLES:
            if pandas is not None:
                out[name] = pandas.read_sql_query(f"SELECT * FROM {name}", connection)
            else:
                cursor = connection.execute(f"SELECT * FROM {name}")
                columns = [d[0] for d in cursor.description]
                out[name] = [dict(zip(columns, row)) for row in cursor]
        return out
    finally:
        connection.close()
