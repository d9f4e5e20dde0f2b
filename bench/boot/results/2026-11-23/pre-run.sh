#!/usr/bin/env bash
# pre/run.sh OUT: in the bench's nested session, before the benchmark: the gate scenarios on the new AOT build,
# then traced boots (XENON_TRACE=1) of base-aot and xenon-aot, interleaved.
set -u
OUT=$1
mkdir -p "$OUT"
echo "pre: $(date -u +%FT%TZ) $(uptime)"
SCENARIO_TIMEOUT=300 GUEST_DIR=/opt/guest XENON=$PWD/bin-aot/xenon \
    bash pre/run-scenarios.sh pre/scenarios "$OUT/scenarios" boot-marker smp poweroff xl-xenstore xl-list
for f in "$OUT"/scenarios/*.rc; do echo "scenario $(basename "$f" .rc): rc=$(cat "$f") time=$(cat "${f%.rc}.time" 2>/dev/null)"; done
. bench/probe.sh
cat > "$OUT/bench.cfg" <<EOC
name = "bench"
memory = 256
vcpus = 1
kernel = "/opt/guest/vmlinuz"
ramdisk = "/opt/guest/initrd.img"
extra = "console=ttyS0 quiet -- true"
on_reboot = "destroy"
on_crash = "destroy"
EOC
export XENON_TRACE=1
for i in 0 1 2 3; do
    for b in base-aot aot; do
        [ -x "bin-$b/xenon" ] || continue
        probe_run "$OUT/trace-$b-$i.log" 262144 "./bin-$b/xenon" create -F -c "$OUT/bench.cfg"
        echo "trace $b $i: rc=$P_RC first=$P_FIRST init=$P_INIT exit=$P_EXIT"
    done
done
unset XENON_TRACE
echo "pre: done $(date -u +%FT%TZ) $(uptime)"
sync
