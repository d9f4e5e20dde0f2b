#!/usr/bin/env bash
# Two vCPUs: the guest sees both online.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot smp 2 256 'echo NPROC=$(nproc); echo ONLINE=$(cat /sys/devices/system/cpu/online)'
