#!/usr/bin/env bash
# Prepares a looper card from real MIDI files of the shared corpus with the real `midisift clips
# export`, both ways: segments of single files (--track, --channel, --bars) and the loop candidates
# of a scanned collection (--db --where). Then `clips verify` must pass.
# Usage: make_card.sh MIDISIFT CORPUS_DIR CARD_DIR. Without the corpus it says so and prepares nothing.
set -euo pipefail
midisift=$1 corpus=$2 card=$3
rm -rf "$card" "$card.db"
if [ ! -d "$corpus/pop909" ]; then
  echo "make_card: no corpus at $corpus (../shared/corpus): no card prepared; the card test will be skipped"
  exit 0
fi
# Segments of single files: pop909 piano (track 1 = melody, bars 21-24), a channel selection.
for n in 001 002 003 004 005 006; do
  "$midisift" clips export "$corpus/pop909/POP909/$n/$n.mid" --track 1 --bars 21-24 --out "$card" --name "pop909 $n"
done
"$midisift" clips export "$corpus/pop909/POP909/007/007.mid" --channel 1 --bars 21-24 --out "$card"
# Loop candidates of a scanned collection (video-game music loops a lot).
"$midisift" scan "$corpus/vgmidi/labelled" --db "$card.db" --quiet
"$midisift" clips export --db "$card.db" --where "bars IN (2, 4) AND notes BETWEEN 8 AND 150" --limit 12 --out "$card"
"$midisift" clips verify "$card"
