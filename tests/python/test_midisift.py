"""The Python module `midisift` (python/): reading paths, bytes and damaged files, the exception
types, notes against the C++ facts, analyze() against a scanned row, scan(), threads, and files
that vanish or cannot be read. Run by ctest with PYTHONPATH pointing at build/python."""
import concurrent.futures
import json
import os
import sqlite3
import struct

import numpy as np
import pytest

import midisift

CORPUS = os.environ.get("MIDISIFT_CORPUS_DIR", "")


def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.insert(0, 0x80 | (n & 0x7F))
        n >>= 7
    return bytes(out)


def smf(tracks, ppq=96, fmt=1):
    """An SMF from track bodies (bytes, End of Track added)."""
    data = b"MThd" + struct.pack(">IHHH", 6, fmt, len(tracks), ppq)
    for body in tracks:
        body = body + b"\x00\xff\x2f\x00"
        data += b"MTrk" + struct.pack(">I", len(body)) + body
    return data


def note(delta, pitch, velocity, channel=0, on=True):
    return vlq(delta) + bytes([(0x90 if on else 0x80) | channel, pitch, velocity])


# 100 BPM, a program change to Violin (40) on channel 1, then C4 for a quarter and E4 for two.
SONG = smf([
    b"\x00\xff\x51\x03\x09\x27\xc0",
    b"\x00\xc0\x28" + note(0, 60, 90) + note(96, 60, 0, on=False) + note(0, 64, 80) + note(192, 64, 0, on=False),
])


def corpus_files(limit):
    if not CORPUS or not os.path.isdir(CORPUS):
        pytest.skip(f"no corpus at {CORPUS!r} (../shared/corpus)")
    found = []
    for folder, dirs, files in os.walk(CORPUS):
        dirs.sort()
        for f in sorted(files):
            if os.path.splitext(f)[1].lower() in (".mid", ".midi", ".kar", ".rmi", ".smf"):
                found.append(os.path.join(folder, f))
    return found[:: max(1, len(found) // limit)][:limit]


def test_reads_bytes_paths_and_path_likes_alike(tmp_path):
    path = tmp_path / "song.mid"
    path.write_bytes(SONG)
    for source in (SONG, bytearray(SONG), memoryview(SONG), str(path), path):
        score = midisift.read(source)
        assert score.format == 1 and score.ppq == 96 and score.smpte is None
        assert score.status == "ok" and score.diagnostics == []
        assert score.track_count == 2
    assert midisift.read(path).path == str(path)
    assert midisift.read(SONG).path is None
    assert midisift.read(SONG, alloc="heap").notes().tolist() == midisift.read(SONG).notes().tolist()


def test_notes_are_a_structured_array_with_ticks_seconds_channels_and_programs():
    notes = midisift.read(SONG).notes()
    assert notes.dtype.names == ("onset", "end", "onset_seconds", "end_seconds", "pitch", "velocity", "channel",
                                 "track", "program")
    assert notes["onset"].tolist() == [0, 96]
    assert notes["end"].tolist() == [96, 288]
    np.testing.assert_allclose(notes["onset_seconds"], [0.0, 0.6])
    np.testing.assert_allclose(notes["end_seconds"], [0.6, 1.8])
    assert notes["pitch"].tolist() == [60, 64]
    assert notes["velocity"].tolist() == [90, 80]
    assert notes["channel"].tolist() == [1, 1], "channels 1-16"
    assert notes["track"].tolist() == [1, 1]
    assert notes["program"].tolist() == [40, 40]


def test_events_tracks_and_the_tempo_map_both_ways():
    score = midisift.read(SONG)
    events = score.events(1)
    assert events["tick"].tolist() == [0, 0, 96, 96, 288, 288]
    assert events["status"][0] == 0xC0 and events["data1"][0] == 40
    assert [t.name for t in score.tracks] == ["", ""]
    assert len(score.tracks[1].events) == 6
    with pytest.raises(IndexError):
        score.events(2)
    tempo = score.tempo_map
    np.testing.assert_allclose(tempo.seconds(np.array([0, 96, 192.5])), [0.0, 0.6, 1.203125])
    np.testing.assert_allclose(tempo.ticks([0.6, 1.8]), [96.0, 288.0])
    assert tempo.changes == [(0, 0.0, 600000)]


def test_damaged_files_read_leniently_with_each_repair_and_strict_mode_refuses():
    damaged = SONG + b"\x00garbage"
    score = midisift.read(damaged)
    assert score.status == "recovered"
    assert score.diagnostics == [{"code": "trailing_bytes", "track": None, "offset": len(SONG)}]
    with pytest.raises(midisift.MidiError) as e:
        midisift.read(damaged, strict=True)
    assert e.value.code == "strict_violation"


def test_errors_are_midi_errors_or_os_errors(tmp_path):
    with pytest.raises(midisift.MidiError) as e:
        midisift.read(b"RIFF but not midi")
    assert isinstance(e.value, ValueError)
    assert e.value.code == "not_midi" and e.value.offset == 0
    with pytest.raises(midisift.MidiError):
        midisift.read(b"")
    with pytest.raises(FileNotFoundError):
        midisift.read(tmp_path / "absent.mid")
    with pytest.raises(IsADirectoryError):
        midisift.read(tmp_path)
    with pytest.raises(FileNotFoundError):
        midisift.analyze(tmp_path / "absent.mid")
    locked = tmp_path / "locked.mid"
    locked.write_bytes(SONG)
    locked.chmod(0)
    if os.geteuid() != 0:  # root reads it anyway
        with pytest.raises(PermissionError):
            midisift.read(locked)
    with pytest.raises(ValueError):
        midisift.read(SONG, alloc="pool")


def test_analyze_gives_every_column_and_agrees_with_the_scanned_row(tmp_path):
    folder = tmp_path / "songs"
    folder.mkdir()
    files = [folder / "song.mid"]
    files[0].write_bytes(SONG)
    sources = corpus_files(40) if CORPUS and os.path.isdir(CORPUS) else []
    for i, src in enumerate(sources):
        files.append(folder / f"{i:03d}_{os.path.basename(src)}")
        with open(src, "rb") as f:
            files[-1].write_bytes(f.read())
    db = tmp_path / "x.db"
    summary = midisift.scan([folder], db=db, jobs=2, progress=False)
    assert summary["files"] == len(files)
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    compared = 0
    for f in files:
        facts = midisift.analyze(f)
        row = connection.execute("SELECT * FROM files WHERE path = ?", (str(f),)).fetchone()
        assert row is not None, f
        for column in row.keys():
            if column in ("id", "scanned_at", "missing_since"):
                continue
            value = row[column]
            if column in ("channels", "pitch_class_histogram", "gm_families", "track_names", "nomml", "chord_segments", "beat_seconds", "downbeat_seconds") and value is not None:
                value = json.loads(value)
            assert facts[column] == value, f"{column} of {f}: {facts[column]!r} != {value!r}"
            compared += 1
    assert compared > 70 * len(files)
    assert facts["instruments"] == [] or isinstance(facts["instruments"][0], dict)


def test_notes_agree_with_the_analysis_on_the_corpus():
    for path in corpus_files(60):
        try:
            score = midisift.read(path)
        except midisift.MidiError:
            assert midisift.analyze(path)["status"] == "failed"
            continue
        facts = midisift.analyze(path)
        notes = score.notes()
        assert len(notes) == facts["notes"], path
        assert int((notes["channel"] == 10).sum()) == facts["drum_notes"], path
        if len(notes):
            assert int(notes["pitch"].min()) >= facts["pitch_min"] and int(notes["pitch"].max()) <= facts["pitch_max"]


def test_threads_give_the_same_answers_as_one():
    paths = corpus_files(48) if CORPUS and os.path.isdir(CORPUS) else []
    sources = [SONG] * 8 + paths
    one = [midisift.analyze(s)["fingerprint"] for s in sources]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        many = list(pool.map(lambda s: midisift.analyze(s)["fingerprint"], sources))
        counts = list(pool.map(lambda s: len(midisift.read(s).notes()) if s is SONG else 0, sources))
    assert many == one
    assert counts[:8] == [2] * 8


def test_scan_into_a_temporary_database_and_open_it(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.mid").write_bytes(SONG)
    (folder / "bad.mid").write_bytes(b"nope")
    db = tmp_path / "c.db"
    summary = midisift.scan(str(folder), db=str(db), progress=False)
    assert (summary["files"], summary["ok"], summary["failed"]) == (2, 1, 1)
    again = midisift.scan(folder, db=db, progress=False)
    assert again["unchanged"] == 2 and again["files"] == 0
    tables = midisift.open_db(db)
    files = tables["files"]
    rows = files.to_dict("records") if hasattr(files, "to_dict") else files
    assert sorted(r["status"] for r in rows) == ["failed", "ok"]
    with pytest.raises(FileNotFoundError):
        midisift.open_db(tmp_path / "absent.db")
    with pytest.raises(RuntimeError):
        midisift.scan(folder, db=tmp_path, progress=False)  # a folder is no database


def test_a_file_deleted_after_reading_stays_readable_and_one_deleted_before_is_an_os_error(tmp_path):
    path = tmp_path / "gone.mid"
    path.write_bytes(SONG)
    score = midisift.read(path)
    path.unlink()
    assert len(score.notes()) == 2, "a Score holds its bytes"
    with pytest.raises(FileNotFoundError):
        midisift.read(path)


def test_ctrl_c_during_a_scan_commits_what_is_finished_and_the_next_scan_completes(tmp_path):
    import _thread
    import threading

    folder = tmp_path / "many"
    total = 20000
    for i in range(total):
        sub = folder / f"{i // 500:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i:05d}.mid").write_bytes(smf([note(0, 40 + i % 60, 90) + note(96, 40 + i % 60, 0, on=False)]))
    db = tmp_path / "many.db"
    timer = threading.Timer(0.25, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            midisift.scan(folder, db=db, jobs=1, progress=False)
    finally:
        timer.cancel()
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = connection.execute("SELECT count(*) FROM files").fetchone()[0]
    connection.close()
    assert stored < total, "the interrupt came after the scan had finished: make the collection larger"
    rest = midisift.scan(folder, db=db, progress=False)
    assert rest["unchanged"] == stored and rest["files"] == total - stored
