#!/usr/bin/env bash
# Flash and RAM of an ARM image against a budget. Flash = .text + .data (initialised data is stored
# in flash), RAM = .data + .bss (stack not included). Usage: check_size.sh IMAGE.elf FLASH RAM
set -euo pipefail
read -r text data bss _ < <(arm-none-eabi-size -B "$1" | tail -1)
flash=$((text + data)) ram=$((data + bss))
echo "$(basename "$1"): flash $flash bytes (budget $2), RAM $ram bytes (budget $3)"
if [ "$flash" -gt "$2" ] || [ "$ram" -gt "$3" ]; then
  echo "over budget"
  exit 1
fi
