# Type stubs of the package midisift (python/midisift/__init__.py and its C++ core).
import os
from typing import Any, NamedTuple, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

Source = Union[str, os.PathLike[str], bytes, bytearray, memoryview]

class MidiError(ValueError):
    """Not a readable Standard MIDI File. code: e.g. "not_midi", "truncated_header",
    "strict_violation"; offset: the byte offset where the reader gave up."""

    code: str
    offset: int

class TempoMap:
    """Ticks to seconds and back through the file's Set Tempo events (SMF 1.0; 120 BPM before the
    first), or the SMPTE frame rate. Element-wise over numpy arrays; float64 results."""

    def seconds(self, ticks: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def ticks(self, seconds: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    @property
    def changes(self) -> list[tuple[int, float, int]]:
        """(tick, seconds, microseconds per quarter note) of each tempo in force."""

class Track(NamedTuple):
    name: str
    events: npt.NDArray[Any]

class Score:
    """A parsed file. Holds its bytes: arrays it returns are copies and outlive it."""

    def __init__(self, source: Source, strict: bool = ..., alloc: str = ...) -> None: ...
    @property
    def path(self) -> str | None: ...
    @property
    def format(self) -> int:
        """SMF format as written (0, 1, 2)."""
    @property
    def ppq(self) -> int | None:
        """Ticks per quarter note; None for SMPTE division."""
    @property
    def smpte(self) -> tuple[int, int] | None:
        """(frames per second, ticks per frame) for SMPTE division, else None."""
    @property
    def status(self) -> str:
        """"ok" (read as written) or "recovered" (read with repairs)."""
    @property
    def riff(self) -> bool: ...
    @property
    def diagnostics(self) -> list[dict[str, Any]]:
        """Each repair: {"code": str, "track": int | None (None: file level), "offset": int (bytes)}."""
    @property
    def track_count(self) -> int: ...
    @property
    def tracks(self) -> list[Track]: ...
    @property
    def tempo_map(self) -> TempoMap: ...
    def track_names(self) -> list[str]: ...
    def events(self, track: int) -> npt.NDArray[Any]:
        """Raw events of one track (0-based), file order: fields tick (u4, ticks), status, data1,
        data2 (u1; running status resolved; meta: status 0xFF, data1 the type), offset (u4, byte
        offset in the file: the payload of meta and sysex events), length (u4, payload bytes).
        IndexError for a track the file does not have."""
    def notes(self) -> npt.NDArray[Any]:
        """The notes, paired first in, first out per track, channel and pitch, sorted by onset:
        fields onset, end (u4, ticks), onset_seconds, end_seconds (f8), pitch, velocity (u1),
        channel (u1, 1-16), track (u2, 0-based), program (u1, General MIDI program in force)."""

def read(source: Source, *, strict: bool = ..., alloc: str = ...) -> Score: ...
def analyze(source: Source, *, strict: bool = ...) -> dict[str, Any]: ...
def scan(paths: Sequence[Union[str, os.PathLike[str]]] | str, *, db: Union[str, os.PathLike[str]] = ...,
         jobs: int = ..., strict: bool = ..., rescan: bool = ..., progress: bool | None = ...) -> dict[str, Any]: ...
def open_db(path: Union[str, os.PathLike[str]]) -> dict[str, Any]: ...
