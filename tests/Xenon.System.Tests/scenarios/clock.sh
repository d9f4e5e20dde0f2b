#!/usr/bin/env bash
# Time: the guest uses kvmclock, and its date (from the CMOS RTC at boot) is the host's.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
echo "HOST_EPOCH=$(date +%s)"
xenon_boot clock 1 256 'echo CLOCKSOURCE=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource); echo GUEST_EPOCH=$(date +%s)'
