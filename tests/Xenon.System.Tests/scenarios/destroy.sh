#!/usr/bin/env bash
# xl destroy: a detached domain is stopped at once; its process records the outcome and exits.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
cfg=$(shell_guest_cfg destroy-me 128)
$XENON create "$cfg"
echo "CREATE-RC=$?"
pid=$(cat "$XENON_RUN_DIR/domains/destroy-me/pid")
$XENON destroy destroy-me
echo "DESTROY-RC=$?"
for ((i = 0; i < 100; i++)); do [ -d /proc/$pid ] || break; sleep 0.1; done
[ -d /proc/$pid ] && echo "PROCESS=alive" || echo "PROCESS=gone"
echo "OUTCOME=$(cat "$XENON_RUN_DIR/domains/destroy-me/outcome" 2>/dev/null)"
set +e
$XENON destroy destroy-me
echo "DESTROY-AGAIN-RC=$?"
