#!/usr/bin/env bash
# memory=256: the guest's MemTotal is 256 MiB less what the kernel reserves for itself.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot memory 1 256 'grep MemTotal /proc/meminfo'
