#!/usr/bin/env bash
# pre/run.sh OUT (B4): in the bench's nested session, before the benchmark: the gate scenarios on the new AOT
# build; then the create path, 12 interleaved pairs of traced `create -F -c` whose kernel is not a bzImage (the
# whole create path, stopping at the build's first check); then 2 traced full boots of each build.
set -u
OUT=$1
mkdir -p "$OUT"
echo "pre: $(date -u +%FT%TZ) $(uptime)"
SCENARIO_TIMEOUT=300 GUEST_DIR=/opt/guest XENON=$PWD/bin-aot/xenon \
    bash pre/run-scenarios.sh pre/scenarios "$OUT/scenarios" boot-marker smp poweroff xl-xenstore xl-list
for f in "$OUT"/scenarios/*.rc; do echo "scenario $(basename "$f" .rc): rc=$(cat "$f") time=$(cat "${f%.rc}.time" 2>/dev/null)"; done
. bench/probe.sh
mk() { cat > "$1" <<EOC
name = "bench"
memory = 256
vcpus = 1
kernel = "$2"
ramdisk = "/opt/guest/initrd.img"
extra = "console=ttyS0 quiet -- true"
on_reboot = "destroy"
on_crash = "destroy"
EOC
}
head -c 8192 /dev/zero > "$OUT/notakernel"
mk "$OUT/fail.cfg" "$PWD/$OUT/notakernel"
mk "$OUT/bench.cfg" /opt/guest/vmlinuz
export XENON_TRACE=1
probe_run "$OUT/warm.log" 262144 ./bin-aot/xenon create -F -c "$OUT/fail.cfg"
for i in $(seq 1 12); do
    if ((i % 2)); then order="base-aot aot"; else order="aot base-aot"; fi
    for b in $order; do
        probe_run "$OUT/fail-$b-$i.log" 262144 "./bin-$b/xenon" create -F -c "$OUT/fail.cfg"
        echo "fail $b $i: rc=$P_RC first=$P_FIRST exit=$P_EXIT"
    done
done
for i in 1 2; do
    for b in base-aot aot; do
        probe_run "$OUT/trace-$b-$i.log" 262144 "./bin-$b/xenon" create -F -c "$OUT/bench.cfg"
        echo "trace $b $i: rc=$P_RC first=$P_FIRST init=$P_INIT exit=$P_EXIT"
    done
done
unset XENON_TRACE
echo "pre: done $(date -u +%FT%TZ) $(uptime)"
sync
