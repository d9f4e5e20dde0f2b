#!/usr/bin/env bash
# Cpupools, xenon top, list -l and pinning across a restart (docs/scheduling.md, docs/cli.md). With two or more
# host CPUs: CPU 1 leaves Pool-0 for a new pool p1, a spinning guest created with pool="p1" has its vCPU thread
# allowed and running only on CPU 1, p1 cannot be destroyed while it holds the guest, cpupool-migrate moves the
# guest to Pool-0 (CPU 0); then CPU 1 returns to Pool-0, vcpu 0 is pinned to CPU 1 and an in-place reboot
# (on_reboot restart) builds a new vCPU thread that is pinned to CPU 1 again. With one CPU (the nested host's
# default) the pool part is reported as skipped and the restart pin is CPU 0. Always: top -b -i 2 shows the
# guest with its CPU share, list -l prints libxl's c_info/b_info. Few xenon invocations: each costs seconds nested.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
export XENSTORED_PATH=$SCRATCH/xenstored/socket

if ! grep -qE ' - cgroup2? ' /proc/self/mountinfo; then
    mount -t cgroup2 none /sys/fs/cgroup && echo "CGROUP=mounted-v2" || echo "CGROUP=mount-failed"
else
    echo "CGROUP=present"
fi
NCPU=$(nproc)
echo "CPUS=$NCPU"

cfg=$SCRATCH/spin.cfg
{
    echo 'name = "spin"'
    echo 'memory = 96'
    echo 'vcpus = 1'
    echo "kernel = \"$GUEST_DIR/vmlinuz\""
    echo "ramdisk = \"$GUEST_DIR/initrd.img\""
    echo 'cmdline = "console=ttyS0 quiet -- while :; do :; done"'
    echo 'on_reboot = "restart"'
} > "$cfg"

set +e
cleanup() {
    [ -f "$XENON_RUN_DIR/domains/spin/pid" ] && kill "$(cat "$XENON_RUN_DIR/domains/spin/pid")" 2>/dev/null
    return 0
}
trap cleanup EXIT

# vcpu0_task: the /proc task directory of the guest's vcpu0 thread.
vcpu0_task() {
    local pid t
    pid=$(cat "$XENON_RUN_DIR/domains/spin/pid")
    for t in /proc/"$pid"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = vcpu0 ] && { echo "$t"; return; }
    done
}
allowed() { awk '/^Cpus_allowed_list:/ { print $2 }' "$(vcpu0_task)/status"; }
# ran_on SECONDS: every CPU the vcpu0 thread was seen on (stat field 39), sampled ten times a second.
ran_on() {
    local t i stat rest cpus="" n=$1
    t=$(vcpu0_task)
    for ((i = 0; i < n * 10; i++)); do
        read -r stat < "$t/stat"
        rest=${stat##*) }
        # shellcheck disable=SC2086
        set -- $rest
        cpus="$cpus ${37}"
        sleep 0.1
    done
    tr ' ' '\n' <<< "$cpus" | sed '/^$/d' | sort -un | paste -sd, -
}

if [ "$NCPU" -ge 2 ]; then
    $XENON cpupool-cpu-remove Pool-0 1; echo "REMOVE-RC=$?"
    $XENON cpupool-create name=\"p1\" cpus=\"1\"; echo "POOL-CREATE-RC=$?"
    $XENON cpupool-list -c > "$SCRATCH/pools.out"; cat "$SCRATCH/pools.out"
    echo "POOL-LIST=$(awk '$1 == "p1" { print $2 }' "$SCRATCH/pools.out")"
    $XENON create -q "$cfg" pool=\"p1\"; echo "CREATE-RC=$?"
    echo "ALLOWED-IN-POOL=$(allowed)"
    echo "RAN-ON-IN-POOL=$(ran_on 3)"
    $XENON list -c > "$SCRATCH/list-c.out"; cat "$SCRATCH/list-c.out"
    echo "LIST-POOL=$(awk '$1 == "spin" { print $NF }' "$SCRATCH/list-c.out")"
    $XENON cpupool-destroy p1 2> "$SCRATCH/destroy-busy.err"; echo "DESTROY-BUSY-RC=$?"
    cat "$SCRATCH/destroy-busy.err"
    $XENON cpupool-migrate spin Pool-0; echo "MIGRATE-RC=$?"
    echo "ALLOWED-MIGRATED=$(allowed)"
    echo "RAN-ON-MIGRATED=$(ran_on 2)"
    $XENON cpupool-destroy p1; echo "DESTROY-RC=$?"
    $XENON cpupool-cpu-add Pool-0 1; echo "ADD-RC=$?"
    PIN=1
else
    echo "POOLS=skipped: the host has one CPU"
    $XENON create -q "$cfg"; echo "CREATE-RC=$?"
    PIN=0
fi

$XENON top -b -i 2 -d 2 > "$SCRATCH/top.out"; echo "TOP-RC=$?"
cat "$SCRATCH/top.out"
echo "TOP-HEADERS=$(grep -c 'NAME  STATE   CPU(sec) CPU(%)' "$SCRATCH/top.out")"
# The second iteration's CPU(%) of the spinning guest (column 4).
echo "TOP-SPIN-CPU=$(awk '$1 == "spin" { v = $4 } END { print v }' "$SCRATCH/top.out")"

$XENON list -l > "$SCRATCH/list-l.out"; echo "LIST-L-RC=$?"
grep -q '"c_info"' "$SCRATCH/list-l.out" && grep -q '"b_info"' "$SCRATCH/list-l.out" && echo "LIST-L=libxl" || { echo "LIST-L=other"; cat "$SCRATCH/list-l.out"; }

$XENON vcpu-pin spin 0 "$PIN"; echo "PIN-RC=$?"
echo "ALLOWED-PINNED=$(allowed)"
before=$(vcpu0_task)
$XENON reboot spin; echo "REBOOT-RC=$?"
# The restart builds a new vCPU thread (a new task id); wait for it.
for ((i = 0; i < 300; i++)); do
    now=$(vcpu0_task)
    [ -n "$now" ] && [ "$now" != "$before" ] && break
    sleep 0.1
done
echo "NEW-THREAD=$([ -n "$now" ] && [ "$now" != "$before" ] && echo yes || echo no)"
sleep 1
echo "ALLOWED-AFTER-RESTART=$(allowed)"
echo "EXPECTED-PIN=$PIN"
$XENON destroy spin; echo "DESTROY-DOMAIN-RC=$?"
$XENON cpupool-list; echo "FINAL-POOLS-RC=$?"
exit 0
