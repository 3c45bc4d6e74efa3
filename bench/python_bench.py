#!/usr/bin/env python3
"""Loading MIDI files into notes from Python: midisift against mido (Debian's python3-mido, the
parser under pretty_midi and miditoolkit), in the same run, over every file of a corpus.

    PYTHONPATH=build/python python3 bench/python_bench.py [CORPUS]

For each library: files it reads, files it refuses, files/s and MB/s of "path in, notes out" (the
file read from the page cache: every file is read once before timing), best of --reps passes
(mido: one pass); the comparison below is not timed.
Then, for every file both read, midisift's notes are compared with mido's: the same count, and the
same (onset tick, pitch) pairs per track. Prints a Markdown table (the one in bench/README.md).
"""
import argparse
import os
import sys
import time
from collections import Counter

import mido

import midisift

EXTENSIONS = (".mid", ".midi", ".kar", ".rmi", ".smf")


def corpus_files(root):
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            if os.path.splitext(f)[1].lower() in EXTENSIONS:
                found.append(os.path.join(folder, f))
    return found


def midisift_notes(path):
    """The notes as midisift gives them: a numpy structured array, paired, with seconds."""
    return midisift.read(path).notes()


def mido_notes(path):
    """Note-ons (velocity > 0) per track as (track, onset tick, pitch), the least mido needs to do
    to give notes' starts (it does not pair notes; pretty_midi does that on top)."""
    out = []
    for index, track in enumerate(mido.MidiFile(path, clip=False).tracks):
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "note_on" and message.velocity > 0:
                out.append((index, tick, message.note))
    return out


def same_notes(ours, theirs):
    return Counter(zip(ours["track"].tolist(), ours["onset"].tolist(), ours["pitch"].tolist())) == Counter(theirs)


def timed(load, files, reps):
    best, results = None, None
    for _ in range(reps):
        got, refused = {}, 0
        start = time.perf_counter()
        for path in files:
            try:
                got[path] = load(path)
            except Exception:  # noqa: BLE001 (any refusal counts)
                refused += 1
        elapsed = time.perf_counter() - start
        if best is None or elapsed < best:
            best, results = elapsed, (got, refused)
    return best, results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus"))
    ap.add_argument("--reps", type=int, default=3, help="passes per library; the best counts (mido: 1)")
    args = ap.parse_args()
    files = corpus_files(args.corpus)
    if not files:
        sys.exit(f"python_bench: no MIDI files under {args.corpus}")
    megabytes = sum(os.path.getsize(f) for f in files) / 1e6
    for f in files:  # into the page cache
        with open(f, "rb") as handle:
            handle.read()
    ours_s, (ours, ours_refused) = timed(midisift_notes, files, args.reps)
    theirs_s, (theirs, theirs_refused) = timed(mido_notes, files, 1)
    both = [f for f in files if f in ours and f in theirs]
    differ = [f for f in both if not same_notes(ours[f], theirs[f])]
    refused_by_us_only = [f for f in files if f in theirs and f not in ours]
    rows = [("midisift " + midisift.__version__, ours_s, len(ours), ours_refused),
            ("mido " + mido.__version__, theirs_s, len(theirs), theirs_refused)]
    print(f"{len(files)} files, {megabytes:.1f} MB ({args.corpus}); path in, notes out; one thread\n")
    print("| library | files read | refused | seconds | files/s | MB/s | x mido |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, seconds, read, refused in rows:
        print(f"| {name} | {read} | {refused} | {seconds:.2f} | {len(files) / seconds:.0f} | {megabytes / seconds:.1f} | "
              f"{theirs_s / seconds:.1f} |")
    print(f"\nNotes compared on the {len(both)} files both read: {len(both) - len(differ)} equal "
          f"(count and (track, onset tick, pitch)), {len(differ)} differ; files mido reads and midisift refuses: "
          f"{len(refused_by_us_only)}.")
    for f in differ[:10]:
        print(f"  differs: {f}")
    return 0 if not differ and not refused_by_us_only else 1


if __name__ == "__main__":
    sys.exit(main())
