#!/usr/bin/env bash
# A guest larger than the 3 GiB below the PCI hole: the rest of its RAM lies above 4 GiB.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot memory-4g 1 4096 'grep MemTotal /proc/meminfo; grep System.RAM /proc/iomem'
