#!/usr/bin/env bash
# xl shutdown: the ACPI power button reaches the guest, whose busybox acpid powers it off.
# The domain runs detached; a console client (create -c) watches it and exits with its status.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
cfg=$(shell_guest_cfg power-button 256)
out=$SCRATCH/power-button.out
# shellcheck disable=SC2086
( $XENON create -c "$cfg" < /dev/null > "$out" 2>&1; echo "CONSOLE-RC=$?" >> "$out" ) &
for ((i = 0; i < 1200; i++)); do grep -q XENON-MODS-OK "$out" 2>/dev/null && break; sleep 0.1; done
sleep 3   # /init starts acpid right after loading the modules
set +e
$XENON shutdown -w power-button
echo "SHUTDOWN-RC=$?"
for ((i = 0; i < 300; i++)); do grep -q CONSOLE-RC= "$out" && break; sleep 0.1; done
set -e
cat "$out"
echo "OUTCOME=$(cat "$XENON_RUN_DIR/domains/power-button/outcome" 2>/dev/null)"
