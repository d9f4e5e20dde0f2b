#!/usr/bin/env bash
# The guest powers itself off (ACPI S5 through the kernel): exit 0.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot poweroff 1 256 'echo POWEROFF-NOW; sync; poweroff -f'
