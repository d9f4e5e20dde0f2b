#!/usr/bin/env bash
# The guest kernel panics; pvpanic tells the VMM, which ends the domain with exit 3.
# No panic=-1 on the command line: the kernel then halts after the pvpanic write instead of
# rebooting, so "crashed" can only come from pvpanic, never be mistaken for a reboot.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot panic 1 256 'echo PANIC-NOW; echo c > /proc/sysrq-trigger'
