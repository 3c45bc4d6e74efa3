#!/usr/bin/env bash
# Fails when the firmware library references the heap or C++ exceptions (house style: no heap,
# -fno-exceptions). Usage: check_no_heap.sh path/to/libmidisift_firmware.a
set -euo pipefail
lib=$1
bad=$(nm -C --undefined-only "$lib" | grep -E ' (malloc|calloc|realloc|free|operator new|operator delete|__cxa_throw|__cxa_allocate_exception)' || true)
if [ -n "$bad" ]; then
  echo "firmware library $lib references forbidden symbols:"
  echo "$bad"
  exit 1
fi
echo "firmware library $lib: no heap, no exceptions"
