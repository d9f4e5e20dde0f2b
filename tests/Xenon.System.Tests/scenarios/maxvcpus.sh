#!/usr/bin/env bash
# maxvcpus reserves CPUs for later hotplug: possible 0-3, online only the configured 0-1.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot maxvcpus 2 256 'echo POSSIBLE=$(cat /sys/devices/system/cpu/possible); echo ONLINE=$(cat /sys/devices/system/cpu/online)' \
    "maxvcpus = 4"
