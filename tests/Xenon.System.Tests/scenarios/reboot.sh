#!/usr/bin/env bash
# The guest reboots; with on_reboot=destroy the domain ends with exit 2.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot reboot 1 256 'echo REBOOT-NOW; reboot -f'
