#!/usr/bin/env bash
# The guest reaches its init (XENON-INIT-OK), runs `true` and powers off: exit 0.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot boot-marker 1 256 true
