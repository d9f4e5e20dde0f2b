#!/usr/bin/env bash
# Output the guest computes comes back on the console exactly, line by line.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot command-output 1 256 'echo OUT-BEGIN; for i in 1 2 3; do echo line-$i; done; echo sum=$((6*7)); echo OUT-END'
