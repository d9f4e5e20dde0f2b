#!/usr/bin/env bash
# xl destroy: a detached domain is stopped at once; its process records the outcome and exits.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
cfg=$SCRATCH/destroy.cfg
cat > "$cfg" <<CFG
name = "destroy-me"
memory = 128
vcpus = 1
kernel = "$GUEST_DIR/vmlinuz"
ramdisk = "$GUEST_DIR/initrd.img"
cmdline = "console=ttyS0 quiet"
CFG
export XENON_RUN_DIR=$SCRATCH/run XENON_LOG_DIR=$SCRATCH/log
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
