#!/usr/bin/env bash
# pre/run.sh OUT (B5): in the bench's nested session, before the benchmark: the gate scenarios on the new AOT build;
# then the create path, base-aot (HEAD) vs aot (this change), XENON_TRACE=1, `create -F -c` whose kernel is not a
# bzImage (the whole create path, stopping at the build's first check). Each build runs in blocks of 4 behind its
# own xenstored (the daemon is started by the first create and serves the later ones: a change to how it is started
# shows only with its own daemon), blocks alternating, 5 blocks each; then 2 traced full boots of each build.
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
XSPID=/var/run/xenstored/xenstored.pid
restart_xs() {   # stop whichever xenstored runs; the next create of $1 starts its own, and waits for it
    [ -f $XSPID ] && kill "$(cat $XSPID)" 2>/dev/null
    for _ in $(seq 1 100); do [ -f $XSPID ] || break; sleep 0.1; done
    "./bin-$1/xenon" list > /dev/null 2>&1
    echo "xenstored for $1: pid $(cat $XSPID 2>/dev/null)"
}
export XENON_TRACE=1
for blk in 1 2 3 4 5; do
    if ((blk % 2)); then order="base-aot aot"; else order="aot base-aot"; fi
    for b in $order; do
        restart_xs $b
        probe_run "$OUT/warm-$b-$blk.log" 262144 "./bin-$b/xenon" create -F -c "$OUT/fail.cfg"
        for i in 1 2 3 4; do
            probe_run "$OUT/fail-$b-$blk-$i.log" 262144 "./bin-$b/xenon" create -F -c "$OUT/fail.cfg"
            echo "fail $b $blk $i: rc=$P_RC first=$P_FIRST exit=$P_EXIT"
        done
    done
done
for i in 1 2; do
    for b in base-aot aot; do
        restart_xs $b
        probe_run "$OUT/trace-$b-$i.log" 262144 "./bin-$b/xenon" create -F -c "$OUT/bench.cfg"
        echo "trace $b $i: rc=$P_RC first=$P_FIRST init=$P_INIT exit=$P_EXIT"
    done
done
unset XENON_TRACE
# The benchmark that follows runs every VMM behind this build's own xenstored.
restart_xs aot
echo "pre: done $(date -u +%FT%TZ) $(uptime)"
sync
