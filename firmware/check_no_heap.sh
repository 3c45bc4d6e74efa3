#!/usr/bin/env bash
# Fails when the firmware library references the heap or C++ exceptions (house style: no heap,
# -fno-exceptions). Usage: check_no_heap.sh LIBRARY.a [IMAGE.elf ...]; NM picks the nm (e.g.
# arm-none-eabi-nm). A library is checked for undefined references, a linked image for any symbol.
set -euo pipefail
nm=${NM:-nm}
forbidden=' (malloc|calloc|realloc|free|_malloc_r|_free_r|operator new|operator delete|__cxa_throw|__cxa_allocate_exception)(\(|$)'
status=0
for f in "$@"; do
  case "$f" in
    *.a) bad=$("$nm" -C --undefined-only "$f" | grep -E "$forbidden" || true) ;;
    *) bad=$("$nm" -C "$f" | grep -E "$forbidden" || true) ;;
  esac
  if [ -n "$bad" ]; then
    echo "$f references forbidden symbols:"
    echo "$bad"
    status=1
  else
    echo "$f: no heap, no exceptions"
  fi
done
exit $status
