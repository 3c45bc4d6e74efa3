#!/usr/bin/env bash
# Installs the build tree into a fresh prefix, builds tests/consumer against it with
# find_package(midisift), and runs it on a small Standard MIDI File.
# Usage: run.sh CMAKE BUILD_DIR CXX WORK_DIR
set -euo pipefail
cmake=$1 build=$2 cxx=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
"$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
"$cmake" -S "$here" -B "$work/build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
"$cmake" --build "$work/build" >/dev/null
# Format 1, 2 tracks, ppq 96 (octal 140); track 0: End of Track; track 1: a note-on and End of
# Track, 2 events.
printf 'MThd\0\0\0\6\0\1\0\2\0\140MTrk\0\0\0\4\0\377\57\0MTrk\0\0\0\10\0\220\74\100\0\377\57\0' > "$work/song.mid"
"$work/build/consumer" "$work/song.mid"
