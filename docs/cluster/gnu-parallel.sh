#!/bin/bash
# One big machine, or a few reached over ssh: GNU parallel runs the shard scans, then one merge.
#   docs/cluster/gnu-parallel.sh /data/gigamidi /data/midisift 8
# Each scan uses the cores it is given (--jobs), so SHARDS x JOBS should match the machine.
set -euo pipefail

collection=${1:?usage: gnu-parallel.sh COLLECTION OUTDIR [SHARDS] [JOBS_PER_SHARD]}
out=${2:?usage: gnu-parallel.sh COLLECTION OUTDIR [SHARDS] [JOBS_PER_SHARD]}
shards=${3:-8}
jobs=${4:-2}
mkdir -p "$out"

seq 0 $((shards - 1)) | parallel --halt now,fail=1 --jobs "$shards" \
  midisift scan "$collection" --shard "{}/$shards" --db "$out/shard-{}.db" --jobs "$jobs" --quiet
midisift merge "$out"/shard-*.db --into "$out/all.db"
