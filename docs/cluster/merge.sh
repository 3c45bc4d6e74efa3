#!/bin/bash
# Merges the shard databases of a sharded scan into one: OUTDIR/shard-*.db -> OUTDIR/all.db.
#   docs/cluster/merge.sh OUTDIR [SHARDS]
# Merging is idempotent and incremental: run it again after rerunning some shards and only their
# rows are replaced.
set -euo pipefail

out=${1:?usage: merge.sh OUTDIR [SHARDS]}
shards=${2:-}
if [ -n "$shards" ]; then
  found=$(find "$out" -maxdepth 1 -name 'shard-*.db' | wc -l)
  if [ "$found" -ne "$shards" ]; then
    echo "merge.sh: $found of $shards shard databases in $out" >&2
    exit 1
  fi
fi
midisift merge "$out"/shard-*.db --into "$out/all.db"
midisift stats --db "$out/all.db"
