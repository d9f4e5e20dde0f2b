#!/usr/bin/env bash
# Scheduling, measured (docs/scheduling.md): two CPU-bound guests pinned to host CPU 0 (xl.cfg cpus="0") with
# cpu_weight 256 and 512 share it 1:2; then a third alone with cap=50 gets half a CPU. CPU time is each
# domain's vCPU threads' run time (schedstat) over a 15 s window. With more than one host CPU every thread of both domain
# processes is confined to CPU 0 too (cpus= pins only vCPU threads; I/O and runtime threads would otherwise run
# uncontended elsewhere and skew the groups' totals). Few xenon invocations (each
# costs tens of seconds in the nested host); the domains are ended with SIGTERM, as destroy would.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
export XENSTORED_PATH=$SCRATCH/xenstored/socket
WINDOW=${SCHED_WINDOW:-15}

# The nested host mounts no cgroups (a systemd host has them): give it the unified tree.
if ! grep -qE ' - cgroup2? ' /proc/self/mountinfo; then
    mount -t cgroup2 none /sys/fs/cgroup && echo "CGROUP=mounted-v2" || echo "CGROUP=mount-failed"
else
    echo "CGROUP=present"
fi

# spin_cfg NAME EXTRA...: a 1-vCPU default guest whose command spins forever.
spin_cfg() {
    local name=$1 cfg=$SCRATCH/$1.cfg
    shift
    {
        echo "name = \"$name\""
        echo "memory = 96"
        echo "vcpus = 1"
        echo "kernel = \"$GUEST_DIR/vmlinuz\""
        echo "ramdisk = \"$GUEST_DIR/initrd.img\""
        echo "cmdline = \"console=ttyS0 quiet -- while :; do :; done\""
        for line in "$@"; do echo "$line"; done
    } > "$cfg"
    echo "$cfg"
}

# vcpu_ms NAME: CPU time (ms) the domain's vCPU threads have run, from schedstat (the scheduler's own
# sum_exec_runtime, in ns). Tick-sampled utime/stime is no good here: under the nested host's emulated timer,
# ticks bunch up and over-count (a first run saw 1944 ticks on one CPU in 15 s). Bash builtins only, so the
# sampling itself costs next to nothing.
vcpu_ms() {
    local pid t comm ns sum=0
    pid=$(<"$XENON_RUN_DIR/domains/$1/pid")
    for t in /proc/"$pid"/task/*; do
        read -r comm < "$t/comm" || continue
        case $comm in vcpu*) ;; *) continue ;; esac
        read -r ns _ < "$t/schedstat" || continue
        sum=$((sum + ns / 1000000))
    done
    echo "$sum"
}

# group_ms NAME: CPU time (ms) of the domain's whole cgroup (cgroup v2 cpu.stat usage_usec): what CFS weighs
# and caps is the group, vCPU threads plus the domain process's other threads. Empty on cgroup v1.
group_ms() {
    local pid line group key val
    pid=$(<"$XENON_RUN_DIR/domains/$1/pid")
    while IFS= read -r line; do case $line in 0::*) group=${line#0::} ;; esac; done < /proc/"$pid"/cgroup
    [ -n "${group:-}" ] && [ -f "/sys/fs/cgroup$group/cpu.stat" ] || return 0
    while read -r key val; do [ "$key" = usage_usec ] && echo $((val / 1000)); done < "/sys/fs/cgroup$group/cpu.stat"
}

set +e
# Clean up whatever happens: a spinning guest left behind would skew every later scenario.
cleanup() {
    local n
    for n in spin-a spin-b spin-c; do
        [ -f "$XENON_RUN_DIR/domains/$n/pid" ] && kill "$(cat "$XENON_RUN_DIR/domains/$n/pid")" 2>/dev/null
    done
    return 0
}
trap cleanup EXIT
# affinity_of NAME: the hard affinity of the domain's vcpu0 thread.
affinity_of() {
    local pid t
    pid=$(cat "$XENON_RUN_DIR/domains/$1/pid")
    for t in /proc/"$pid"/task/*; do
        [ "$(cat "$t/comm")" = vcpu0 ] && awk '/^Cpus_allowed_list:/ { print $2 }' "$t/status"
    done
}
# Two creates at once (each is a .NET start, slow in the nested host); each returns once its guest runs.
$XENON create -q "$(spin_cfg spin-a 'cpus = "0"' 'cpu_weight = 256')" > "$SCRATCH/create-a.out" 2>&1 & pa=$!
$XENON create -q "$(spin_cfg spin-b 'cpus = "0"' 'cpu_weight = 512')" > "$SCRATCH/create-b.out" 2>&1 & pb=$!
wait $pa; echo "CREATE-A-RC=$?"
wait $pb; echo "CREATE-B-RC=$?"
cat "$SCRATCH"/create-*.out
$XENON sched-credit > "$SCRATCH/credit.out"; echo "CREDIT-RC=$?"
cat "$SCRATCH/credit.out"
echo "CREDIT-A=$(awk '$1 == "spin-a" { print $3, $4 }' "$SCRATCH/credit.out")"
echo "CREDIT-B=$(awk '$1 == "spin-b" { print $3, $4 }' "$SCRATCH/credit.out")"
echo "AFFINITY-A=$(affinity_of spin-a)"
for d in spin-a spin-b; do
    taskset -a -p 1 "$(cat "$XENON_RUN_DIR/domains/$d/pid")" > /dev/null && echo "PROCESS-ON-CPU0-$d=yes" || echo "PROCESS-ON-CPU0-$d=no"
done
cat /proc/"$(cat "$XENON_RUN_DIR/domains/spin-b/pid")"/cgroup
sleep 5
a0=$(vcpu_ms spin-a); b0=$(vcpu_ms spin-b); ga0=$(group_ms spin-a); gb0=$(group_ms spin-b)
sleep "$WINDOW"
a1=$(vcpu_ms spin-a); b1=$(vcpu_ms spin-b); ga1=$(group_ms spin-a); gb1=$(group_ms spin-b)
echo "MS-A=$((a1 - a0)) MS-B=$((b1 - b0)) (vCPU threads)"
echo "VCPU-RATIO=$(awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) 'BEGIN { if (a > 0) printf "%.3f", b / a; else print "nan" }')"
if [ -n "$ga0" ]; then
    echo "GROUP-MS-A=$((ga1 - ga0)) GROUP-MS-B=$((gb1 - gb0))"
    echo "WEIGHT-RATIO=$(awk -v a=$((ga1 - ga0)) -v b=$((gb1 - gb0)) 'BEGIN { if (a > 0) printf "%.3f", b / a; else print "nan" }')"
else
    echo "WEIGHT-RATIO=$(awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) 'BEGIN { if (a > 0) printf "%.3f", b / a; else print "nan" }')"
fi
cleanup
sleep 2

$XENON create -q "$(spin_cfg spin-c 'cpus = "0"' 'cap = 50')"; echo "CREATE-C-RC=$?"
pid=$(cat "$XENON_RUN_DIR/domains/spin-c/pid")
cat /proc/"$pid"/cgroup
# The cgroup the domain process is in, and its quota (v2 cpu.max, v1 cpu.cfs_quota_us).
group=$(awk -F: '$2 == "" || $2 ~ /(^|,)cpu(,|$)/ { print $3; exit }' /proc/"$pid"/cgroup)
for f in /sys/fs/cgroup"$group"/cpu.max /sys/fs/cgroup/cpu"$group"/cpu.cfs_quota_us; do
    [ -f "$f" ] && echo "CAP-C=$(cat "$f")"
done
sleep 5
t0=$EPOCHREALTIME; c0=$(vcpu_ms spin-c); gc0=$(group_ms spin-c)
sleep "$WINDOW"
t1=$EPOCHREALTIME; c1=$(vcpu_ms spin-c); gc1=$(group_ms spin-c)
echo "MS-C=$((c1 - c0)) (vCPU thread)"
echo "VCPU-PERCENT=$(awk -v c=$((c1 - c0)) -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.1f", c / 10 / (b - a) }')"
[ -n "$gc0" ] && { c0=$gc0; c1=$gc1; echo "GROUP-MS-C=$((c1 - c0))"; }
echo "CAP-PERCENT=$(awk -v c=$((c1 - c0)) -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.1f", c / 10 / (b - a) }')"
exit 0
