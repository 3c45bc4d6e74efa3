#!/usr/bin/env python3
"""Writes the hand-made inputs of the fuzz targets: the limits the issue names (declared lengths of
4 GB, many tiny tracks, VLQs over 4 bytes, deltas summing past 2^32 ticks, tempo 0, ppq 0, notes
never released) and one valid file of each firmware kind. Their output is checked in under
regressions/<kind>/ (replayed by ctest in every build) and seeds each fuzzer (scripts/fuzz).

Usage: make_inputs.py OUTDIR   (writes OUTDIR/<kind>/<name>: smf, rmid, clip_file, card_files)
       make_inputs.py --seeds OUTDIR CORPUS [CARD]
         seeds from real files: every file of CORPUS/edge, one in EVERY of CORPUS's other folders
         (smf, and as the "data" chunk of an RMID form for rmid), the clip files and index of a
         card folder CARD made by `midisift clips export` (clip_file, card_files).
Formats: SMF 1.0 (MMA, 1996); RIFF RMID (Microsoft, 1991); firmware/FORMAT.md for the clip files.
"""
import struct
import sys
import zlib
from pathlib import Path


def chunk(tag: bytes, body: bytes, length=None) -> bytes:
    return tag + struct.pack(">I", len(body) if length is None else length) + body


def mthd(fmt: int, ntrks: int, division: int, length: int = 6) -> bytes:
    return b"MThd" + struct.pack(">IHHH", length, fmt, ntrks, division)


def vlq(v: int) -> bytes:
    out = [v & 0x7F]
    v >>= 7
    while v:
        out.append(0x80 | (v & 0x7F))
        v >>= 7
    return bytes(reversed(out))


EOT = b"\x00\xff\x2f\x00"
NOTES = b"\x00\x90\x3c\x64\x60\x80\x3c\x40\x00\x90\x40\x64\x60\x80\x40\x40"
TEMPO_120 = b"\x00\xff\x51\x03\x07\xa1\x20"


def smf_limits() -> dict:
    return {
        "valid_format1.mid": mthd(1, 2, 96) + chunk(b"MTrk", TEMPO_120 + EOT) + chunk(b"MTrk", NOTES + EOT),
        # A track length of 4 GB - 1 in a small file: clamped to the file (chunk_past_eof).
        "track_length_4gb.mid": mthd(0, 1, 96) + chunk(b"MTrk", NOTES + EOT, 0xFFFFFFFF),
        # A header length of 4 GB - 1 followed by a real MTrk: a wrong length (header_length_not_6).
        "header_length_4gb.mid": mthd(0, 1, 96, 0xFFFFFFFF) + chunk(b"MTrk", NOTES + EOT),
        # An unknown chunk claiming 4 GB: skipped to the end of the file.
        "alien_chunk_4gb.mid": mthd(1, 1, 96) + chunk(b"XFIH", b"abc", 0xFFFFFFFF) + chunk(b"MTrk", NOTES + EOT),
        # A meta event and a sysex declaring 2^28 - 1 payload bytes (the largest 4-byte VLQ).
        "meta_length_huge.mid": mthd(0, 1, 96) + chunk(b"MTrk", b"\x00\xff\x01\xff\xff\xff\x7fabc"),
        "sysex_length_huge.mid": mthd(0, 1, 96) + chunk(b"MTrk", b"\x00\xf0\xff\xff\xff\x7f\x7e\x7f" + EOT),
        # 5000 tiny tracks (the gtest limits suite goes to a million).
        "many_tiny_tracks.mid": mthd(1, 5000, 96) + chunk(b"MTrk", EOT) * 5000,
        "many_empty_tracks.mid": mthd(1, 65535, 96) + chunk(b"MTrk", b"") * 4000,
        # Delta times of 5 and 9 bytes (SMF 1.0 caps a VLQ at 4).
        "vlq_5_bytes.mid": mthd(0, 1, 96) + chunk(b"MTrk", b"\x81\x80\x80\x80\x00\x90\x3c\x64" + EOT),
        "vlq_9_bytes.mid": mthd(0, 1, 96) + chunk(b"MTrk", b"\xff" * 8 + b"\x7f\x90\x3c\x64" + EOT),
        # Seventeen deltas of 2^28 - 1: the absolute tick passes 2^32 (tick_overflow, clamped).
        "deltas_past_2_32.mid": mthd(0, 1, 96)
        + chunk(b"MTrk", b"".join(b"\xff\xff\xff\x7f\x90\x3c\x64" for _ in range(17)) + EOT),
        # Set Tempo 0 microseconds per quarter: no duration, no division by zero.
        "tempo_zero.mid": mthd(0, 1, 96) + chunk(b"MTrk", b"\x00\xff\x51\x03\x00\x00\x00" + NOTES + EOT),
        "tempo_short.mid": mthd(0, 1, 96) + chunk(b"MTrk", b"\x00\xff\x51\x01\x00" + NOTES + EOT),
        # Division 0 ticks per quarter note (zero_division).
        "ppq_zero.mid": mthd(0, 1, 0) + chunk(b"MTrk", TEMPO_120 + NOTES + EOT),
        "smpte_division.mid": mthd(0, 1, 0xE728) + chunk(b"MTrk", NOTES + EOT),
        # Notes never released, on every channel.
        "unreleased_notes.mid": mthd(0, 1, 96)
        + chunk(b"MTrk", b"".join(bytes([0x00, 0x90 | c, 60 + c, 100]) for c in range(16)) + vlq(10**6) + b"\xff\x2f\x00"),
        # Time signature with denominator 2^255, key signature of 100 sharps.
        "meter_key_extremes.mid": mthd(0, 1, 96)
        + chunk(b"MTrk", b"\x00\xff\x58\x04\x00\xff\x00\x00\x00\xff\x59\x02\x64\x05" + NOTES + EOT),
        "truncated_header.mid": b"MThd\x00\x00\x00\x06\x00",
        # Findings of the fuzzers, rebuilt by hand (the fuzzers' own inputs grew from corpus files,
        # which stay out of the project):
        # - the loop search laid out every declared bar of every track (65,536 bars at ppq 1 from
        #   a note at tick 0 and one at tick 262,000: 2 MB for a file of 100 bytes);
        "crash_loop_search_memory_per_bar.mid": mthd(1, 2, 1)
        + chunk(b"MTrk", b"\x00\x90\x3c\x40\x01\x80\x3c\x40" + vlq(262000) + b"\x90\x3c\x40\x01\x80\x3c\x40" + EOT) * 2,
        # - a note to tick 2^32 - 1 at ppq 1 wrapped the beat count to 0 (empty-beat rate -inf).
        "crash_empty_beat_rate_32bit_wrap.mid": mthd(0, 1, 1)
        + chunk(b"MTrk", b"\x00\x90\x3c\x40" + b"".join([b"\xff\xff\xff\x7f\xff\x21\x01\x00"] * 16)
                + vlq(15) + b"\x80\x3c\x40" + EOT),
        "only_garbage.mid": b"\x00" * 64,
    }


def rmid_chunks(smf: bytes) -> dict:
    """Chunk lists for the rmid target (it writes the 12-byte RIFF/RMID form header itself)."""
    le = lambda tag, body, length=None: tag + struct.pack("<I", len(body) if length is None else length) + body
    return {
        "data_chunk.bin": le(b"data", smf),
        "info_then_odd_data.bin": le(b"LIST", b"INFOabc") + b"\x00" + le(b"data", smf + b"\x00"),
        "data_length_4gb.bin": le(b"data", smf, 0xFFFFFFFF),
        "list_length_4gb.bin": le(b"LIST", b"INFO", 0xFFFFFFFF) + le(b"data", smf),
        "no_data_chunk.bin": le(b"LIST", b"INFO"),
        "empty_data.bin": le(b"data", b""),
    }


def clip_file(events, loop_ticks=384, bars=1, ppq=96, name=b"seed") -> bytes:
    payload = b"".join(struct.pack("<IBBB", *e) for e in events)
    h = bytearray(64)
    h[0:4] = b"MSCL"
    h[4], h[5] = 1, 0
    struct.pack_into("<HH", h, 6, 64, ppq)
    struct.pack_into("<IHBBII", h, 12, loop_ticks, bars, 4, 4, 500000, len(events))
    h[28:28 + len(name)] = name
    struct.pack_into("<I", h, 52, zlib.crc32(payload))
    struct.pack_into("<I", h, 60, zlib.crc32(bytes(h[:60])))
    return bytes(h) + payload


def card_file(magic: bytes, record_size: int, records: list, extra: bytes = b"\x00" * 4) -> bytes:
    body = magic + bytes([1, 0]) + struct.pack("<HHH", 16, record_size, len(records)) + extra + b"".join(records)
    return body + struct.pack("<I", zlib.crc32(body))


def firmware_inputs() -> tuple:
    notes = [(0, 0x90, 60, 100), (96, 0x80, 60, 0), (192, 0x99, 36, 127), (384, 0x89, 36, 0)]
    clips = {
        "valid_clip.bin": b"\x00" + clip_file(notes),
        # CRCs fixed by the harness (flag 1): an event past the loop end, a count claiming 2^20 events.
        "event_past_loop.bin": b"\x01" + clip_file([(400, 0x90, 60, 100)]),
        "count_huge.bin": b"\x01" + clip_file(notes)[:24] + struct.pack("<I", 1 << 20) + clip_file(notes)[28:],
        "empty_clip.bin": b"\x00" + clip_file([]),
    }
    session_track = lambda f, vol: f.ljust(40, b"\x00") + bytes([0, vol]) + b"\x00" * 6
    index_entry = (b"A.CLP".ljust(40, b"\x00") + b"fuzz".ljust(24, b"\x00") + struct.pack("<IHHIII", 384, 96, 1, 2, 0, 500000)
                   + bytes([4, 4]) + b"\x00" * 10)
    cards = {
        "session.bin": b"\x00" + card_file(b"MSSN", 48, [session_track(b"A.CLP", 100), session_track(b"", 0)],
                                         struct.pack("<I", 500000)),
        "undo_ring.bin": b"\x01" + card_file(b"MSUN", 8, [struct.pack("<II", i + 1, 0) for i in range(5)],
                                           bytes([1, 0, 0, 0])),
        "index.bin": b"\x02" + card_file(b"MSIX", 96, [index_entry]),
        "index_4gb_count.bin": b"\x06" + card_file(b"MSIX", 96, [index_entry])[:10] + b"\xff\xff"
        + card_file(b"MSIX", 96, [index_entry])[12:],
    }
    return clips, cards


EVERY = 40        # one file in EVERY from the large folders
MAX_SEED = 65536  # larger files are left out: libFuzzer cuts inputs to -max_len anyway


def real_seeds(out: Path, corpus: Path, card) -> None:
    smf_files = []
    if corpus.is_dir():
        for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
            files = sorted(f for f in folder.rglob("*") if f.is_file() and not f.name.startswith("_"))
            smf_files += files if folder.name == "edge" else files[::EVERY]
    for kind in ("smf", "rmid", "clip_file", "card_files"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    le = lambda tag, body: tag + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")
    for i, f in enumerate(smf_files):
        data = f.read_bytes()
        if len(data) > MAX_SEED:
            continue
        (out / "smf" / f"{i:04d}{f.suffix.lower()}").write_bytes(data)
        body = data[12:] if data[:4] == b"RIFF" and data[8:12] == b"RMID" else le(b"data", data)
        (out / "rmid" / f"{i:04d}.bin").write_bytes(body)
    if card is not None and card.is_dir():
        for i, f in enumerate(sorted(card.glob("clips/*.CLP"))):
            (out / "clip_file" / f"{i:04d}.bin").write_bytes(b"\x00" + f.read_bytes())
        if (card / "clips" / "INDEX.BIN").is_file():
            (out / "card_files" / "index.bin").write_bytes(b"\x02" + (card / "clips" / "INDEX.BIN").read_bytes())
        for i, f in enumerate(sorted(card.glob("sessions/*.SES"))):
            (out / "card_files" / f"session{i:03d}.bin").write_bytes(b"\x00" + f.read_bytes())
        for i, f in enumerate(sorted(card.glob("undo/*/UNDO.IDX"))):
            (out / "card_files" / f"undo{i:03d}.bin").write_bytes(b"\x01" + f.read_bytes())


def main() -> int:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--seeds":
        real_seeds(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]) if len(sys.argv) == 5 else None)
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    smf = smf_limits()
    clips, cards = firmware_inputs()
    sets = {
        "smf": smf,  # shared by smf_arena, smf_heap and info_json: all take SMF bytes
        "rmid": rmid_chunks(smf["valid_format1.mid"]),
        "clip_file": clips,
        "card_files": cards,
    }
    for target, files in sets.items():
        (out / target).mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (out / target / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
