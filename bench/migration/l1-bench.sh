#!/usr/bin/env bash
# l1-bench.sh - runs inside the nested host (bench/migration/run.sh starts it): live migration of the default guest,
# Xenon and QEMU/KVM side by side, between two "hosts" (network namespaces src and dst, each with its own bridge,
# joined by a veth that carries the migration), idle and while the guest dirties memory at a steady rate.
#
#   bash bench/l1-bench.sh RESULTS RUNS "SIZES" "VMMS"
#
# Per VMM, size and workload: boot the guest once on src, then RUNS migrations back and forth over the veth. Each
# records the VMM's own figures (Xenon: the sender's downtime, from its pause until it read the destination's
# report that the guest runs, and, beside it, from the pause until the destination let its vCPUs go, both hosts
# being one here; QEMU: `info migrate` downtime), total time, bytes sent, and a downtime seen from outside: a peer
# on the hosts' shared network pings the guest every PING_MS ms and the longest run of lost replies, times the
# interval, is the time the guest did not answer. Results: RESULTS/raw.tsv (one line a migration), env.txt, logs/.
# host-soft.sh runs this on the build host itself (BENCH_XENON_ACCEL=soft, BENCH_QEMU_ACCEL=tcg, BENCH_GUEST,
# BENCH_NS_PREFIX, BENCH_SCRATCH), without the nested host.
set -uo pipefail
RES=$1 RUNS=$2 SIZES=$3 VMMS=$4
PING_MS=${BENCH_PING_MS:-10}
# 1: the Xenon receiver is prepared (migrate-receive --prepare CFG builds the domain before the sender connects, as
# QEMU's destination is started with -incoming before its migration); 0: it builds when the stream's config arrives.
PREPARE=${BENCH_XENON_PREPARE:-1}
# Workloads to run (default both); "idle" alone halves a session.
WORKLOADS=${BENCH_WORKLOADS:-idle dirty}
GUEST=${BENCH_GUEST:-/opt/guest}
XENON=${XENON:-/work/bin/xenon}
# Host mode (bench/migration/host-soft.sh): the CPU backends and names differ, the steps do not.
XENON_ACCEL=${BENCH_XENON_ACCEL:-}        # e.g. soft: `accel = "soft"` in the domain's cfg (empty: the cfg's default)
QEMU_ACCEL=${BENCH_QEMU_ACCEL:-kvm}       # kvm (-cpu host) or tcg (-cpu max)
NSP=${BENCH_NS_PREFIX:-mb}                # network namespaces NSP-src, NSP-dst, NSP-lan; the domain is named NSP
mkdir -p "$RES/logs"
RES=$(cd "$RES" && pwd)
LOG=$RES/logs
S=${BENCH_SCRATCH:-/tmp/mbench}
rm -rf "$S"; mkdir -p "$S"
say() { echo "l1-bench: $*" >&2; }
ms() { local t=${EPOCHREALTIME/,/.}; echo "${t%.*}${t#*.}" | cut -c1-13; }

{
    echo "date $(date -u +%FT%TZ)"
    echo "kernel $(uname -r)"
    echo "cpus $(nproc)"
    echo "mem_mib $(( $(sed -n 's/MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024 ))"
    echo "qemu $(qemu-system-x86_64 --version | head -n 1)"
    echo "guest $(cat "$GUEST/version" 2>/dev/null || echo unknown)"
    echo "cpu $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
    echo "xenon_accel ${XENON_ACCEL:-default} qemu_accel $QEMU_ACCEL"
    echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/env.txt"

# ------------------------------------------------------------------ network: src, dst, lan
src=$NSP-src dst=$NSP-dst lan=$NSP-lan
# The nested host loads no modules by itself: taps need tun, the hosts' networks bridge and veth.
for m in tun bridge veth; do modprobe $m 2>/dev/null; done
for ns in $src $dst $lan; do ip netns del $ns 2>/dev/null; ip netns add $ns; ip -n $ns link set lo up; done
ip -n $lan link add lan0 type bridge
ip -n $lan addr add 10.77.0.1/24 dev lan0
ip -n $lan link set lan0 up
for h in src dst; do
    ns=${!h}
    ip -n "$ns" link add xenbr0 type bridge
    ip -n "$ns" link set xenbr0 up
    ip link add "up-$h" netns "$ns" type veth peer name "lan-$h" netns $lan
    ip -n "$ns" link set "up-$h" master xenbr0 up
    ip -n $lan link set "lan-$h" master lan0 up
    mkdir -p "$S/$h"
    echo "XENON_RUN_DIR=$S/$h/run XENON_LOG_DIR=$S/$h/log XENSTORED_PATH=$S/$h/xenstored.sock" > "$S/$h.env"
done
ip link add mig-s netns $src type veth peer name mig-d netns $dst
ip -n $src addr add 10.99.0.1/24 dev mig-s
ip -n $dst addr add 10.99.0.2/24 dev mig-d
ip -n $src link set mig-s up
ip -n $dst link set mig-d up
declare -A ADDR=([src]=10.99.0.1 [dst]=10.99.0.2)
other() { [ "$1" = src ] && echo dst || echo src; }
on() { local h=$1; shift; ip netns exec "${!h}" env $(cat "$S/$h.env") "$@"; }

# The link's own rate: 512 MiB of zeros through one TCP connection across the veth.
ip netns exec $dst sh -c 'socat -u TCP-LISTEN:9000,reuseaddr - > /dev/null' &
sleep 1
t0=$(ms)
ip netns exec $src sh -c 'dd if=/dev/zero bs=1M count=512 2>/dev/null | socat -u - TCP:10.99.0.2:9000'
t1=$(ms)
wait
LINK_MBS=$(awk -v b=$((512 << 20)) -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", b / 1e6 / (ms / 1000) }')
echo "link_mb_per_s $LINK_MBS" >> "$RES/env.txt"
say "veth link: $LINK_MBS MB/s"

# ------------------------------------------------------------------ the guest
# idle: a shell that answers ping. dirty: also rewrites a 32 MiB copy of random data in tmpfs every 0.25 s
# (a steady rate of at most 128 MiB/s; the guest's own CPU speed may make it less).
script() {
    cat <<'G'
ip link set eth0 up
ip addr add 10.77.0.2/24 dev eth0
G
    if [ "$1" = dirty ]; then
        cat <<'G'
dd if=/dev/urandom of=/tmp/seed bs=1M count=32 2>/dev/null
( while :; do cp /tmp/seed /tmp/copy; sleep 0.25; done ) &
G
    fi
    cat <<'G'
echo BENCH-READY
while :; do sleep 10; done
exit 0
G
}
mkimg() { script "$1" > "$S/script-$1.img"; truncate -s 1M "$S/script-$1.img"; }
mkimg idle; mkimg dirty
CMDLINE="console=ttyS0 quiet -- sh /dev/vda"

wait_for() { # FILE PATTERN SECONDS
    local i
    for ((i = 0; i < $3 * 10; i++)); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

# ping from the peer: prints the longest run of lost replies times the interval, in ms, once stopped.
start_ping() {
    ip netns exec $lan busybox ping -i "0.$(printf '%03d' "$PING_MS")" 10.77.0.2 > "$S/ping.txt" 2>&1 &
    PING_PID=$!
}
stop_ping() {
    kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null
    sed -n 's/.*seq=\([0-9]*\).*/\1/p' "$S/ping.txt" | awk -v iv="$PING_MS" '
        NR > 1 && $1 - p - 1 > gap { gap = $1 - p - 1 } { p = $1 } END { printf "%d", (gap + 0) * iv }'
}

row() { # vmm size workload run from to downtime_ms total_ms bytes ping_gap_ms wall_ms passes status resumed_ms
    printf '%s\n' "$(IFS=$'\t'; echo "$*")" >> "$RES/raw.tsv"
}
[ -f "$RES/raw.tsv" ] || echo -e "vmm\tsize_mib\tworkload\trun\tfrom\tto\tdowntime_ms\ttotal_ms\tbytes\tping_gap_ms\twall_ms\tpasses\tstatus\tresumed_ms" > "$RES/raw.tsv"

# ------------------------------------------------------------------ Xenon
xenon_case() { # SIZE WORKLOAD [VMM]: VMM xenon-base runs $XENON_BASE (another build, compared in the same session)
    local size=$1 wl=$2 vmm=${3:-xenon} name=$NSP at=src r cfg=$S/xenon.cfg label prep=()
    local XENON=$XENON
    [ "$vmm" = xenon-base ] && XENON=${XENON_BASE:?XENON_BASE names the other build}
    label=$vmm
    [ "$PREPARE" = 1 ] && { label=$vmm-prepared; prep=(--prepare "$cfg"); }
    cat > "$cfg" <<CFG
name = "$name"
memory = $size
vcpus = 1
kernel = "$GUEST/vmlinuz"
ramdisk = "$GUEST/initrd.img"
cmdline = "$CMDLINE"
disk = [ 'vdev=xvda, access=ro, target=$S/script-$wl.img' ]
vif = [ 'mac=00:16:3e:12:34:60, bridge=xenbr0' ]
on_poweroff = "destroy"
CFG
    [ -n "$XENON_ACCEL" ] && echo "accel = \"$XENON_ACCEL\"" >> "$cfg"
    rm -rf "$S/src/run" "$S/dst/run"
    on src "$XENON" create "$cfg" > "$LOG/$vmm-$size-$wl-create.txt" 2>&1 || { say "xenon create failed"; return; }
    # The console socket replays nothing: a client sees only what the guest prints while it is attached. So one
    # reader stays attached from the start (until the source's domain process ends) and its output is kept. (It used
    # to be a loop of 2 s attachments, which missed the ready line whenever it fell between two of them: always, once
    # the dirty guest's work slowed every process start in the nested host.)
    local con=$LOG/$vmm-$size-$wl-console.txt
    : > "$con"
    socat -u "UNIX-CONNECT:$S/src/run/domains/$name/console.sock" - >> "$con" 2>/dev/null &
    local con_pid=$!
    if ! wait_for "$con" BENCH-READY 600; then
        say "$vmm guest $size $wl not ready (console: $con, domain log: $LOG/$vmm-$size-$wl-src.log)"
        cp "$S/src/log/$name.log" "$LOG/$vmm-$size-$wl-src.log" 2>/dev/null
        on src "$XENON" destroy $name
        kill "$con_pid" 2>/dev/null
        return
    fi
    sleep 5
    for ((r = 1; r <= RUNS; r++)); do
        local to; to=$(other $at)
        # XENON_TRACE=1: the receiving domain process logs its build phases (docs/migration.md, "Where the time goes").
        # BENCH_RECEIVER_ENV: more environment for the receiver, e.g. "DOTNET_JitDisasmSummary=1 DOTNET_JitStdOutFile=F"
        # (the methods the JIT compiled, numbered as the receiver's "migration: apply" line counts them).
        on "$to" env XENON_TRACE=1 ${BENCH_RECEIVER_ENV:-} "$XENON" migrate-receive --listen "${ADDR[$to]}:8002" "${prep[@]}" > "$LOG/$vmm-$size-$wl-$r-receive.txt" 2>&1 &
        local recv=$!
        # A prepared receiver prints its listening line once the domain is built, parked and warm.
        local t_recv; t_recv=$(ms)
        wait_for "$LOG/$vmm-$size-$wl-$r-receive.txt" listening 600
        say "$vmm receiver ready after $(( $(ms) - t_recv )) ms"
        start_ping
        sleep 1
        local t0; t0=$(ms)
        on "$at" "$XENON" migrate --debug $name "tcp:${ADDR[$to]}:8002" > "$LOG/$vmm-$size-$wl-$r-migrate.txt" 2>&1
        local rc=$? wall=$(( $(ms) - t0 ))
        wait $recv
        sleep 1
        local gap; gap=$(stop_ping)
        local f=$LOG/$vmm-$size-$wl-$r-migrate.txt
        local down total bytes passes
        down=$(sed -n 's/.*; downtime \([0-9.]*\) ms.*/\1/p' "$f")
        # pause to the destination's vCPUs let go (the same host's clock): the time the guest did not run
        local resumed; resumed=$(sed -n 's/.*(resumed at the destination \([0-9.]*\) ms after the pause).*/\1/p' "$f")
        total=$(sed -n 's/.*; migration \([0-9.]*\) ms;.*/\1/p' "$f")
        bytes=$(sed -n 's/.*migrated: \([0-9]*\) bytes.*/\1/p' "$f")
        passes=$(sed -n 's/.* in \([0-9]*\) passes.*/\1/p' "$f")
        row "$label" "$size" "$wl" "$r" "$at" "$to" "${down:--}" "${total:--}" "${bytes:--}" "$gap" "$wall" "${passes:--}" "$([ $rc = 0 ] && echo ok || echo "fail-$rc")" "${resumed:--}"
        say "$vmm $size MiB $wl run $r: $at -> $to rc=$rc downtime ${down:-?} ms (resumed ${resumed:-?} ms after the pause), total ${total:-?} ms, ${bytes:-?} bytes, ping gap $gap ms"
        [ $rc = 0 ] || { cat "$f" >&2; break; }
        at=$to
        sleep 3
    done
    on "$at" "$XENON" destroy $name > /dev/null 2>&1
    kill "$con_pid" 2>/dev/null
    cp "$S/src/log/$name.log" "$LOG/$vmm-$size-$wl-src.log" 2>/dev/null
    cp "$S/dst/log/$name.log" "$LOG/$vmm-$size-$wl-dst.log" 2>/dev/null
}

# ------------------------------------------------------------------ QEMU
qemu_start() { # HOST SIZE WORKLOAD INCOMING(0|1)
    local h=$1 size=$2 wl=$3 inc=$4 tap=qt-$1
    local cpu=host
    [ "$QEMU_ACCEL" = kvm ] || cpu=max
    local args=(-accel "$QEMU_ACCEL" -cpu "$cpu" -M q35 -m "$size" -smp 1 -nodefaults -no-user-config -nographic
        -serial "file:$S/qemu-$h.console" -monitor "unix:$S/qemu-$h.mon,server,nowait"
        -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.img" -append "$CMDLINE"
        -drive "file=$S/script-$wl.img,if=none,id=d0,format=raw,readonly=on" -device virtio-blk-pci,drive=d0
        -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" -device virtio-net-pci,netdev=n0,mac=00:16:3e:12:34:61)
    [ "$inc" = 1 ] && args+=(-incoming "tcp:${ADDR[$h]}:4444")
    ip netns exec "${!h}" qemu-system-x86_64 "${args[@]}" > "$S/qemu-$h.out" 2>&1 &
    echo $! > "$S/qemu-$h.pid"
    for ((i = 0; i < 100; i++)); do ip -n "${!h}" link show $tap > /dev/null 2>&1 && break; sleep 0.1; done
    ip -n "${!h}" link set $tap master xenbr0 up
}
hmp() { # HOST COMMAND
    echo "$2" | ip netns exec "${!1}" socat -t 2 - "UNIX-CONNECT:$S/qemu-$1.mon" 2>/dev/null | tr -d '\r'
}
qemu_case() { # SIZE WORKLOAD
    local size=$1 wl=$2 at=src r
    rm -f "$S"/qemu-*.console
    qemu_start src "$size" "$wl" 0
    wait_for "$S/qemu-src.console" BENCH-READY 600 || { say "qemu guest $size $wl not ready"; kill "$(cat "$S/qemu-src.pid")"; return; }
    sleep 5
    for ((r = 1; r <= RUNS; r++)); do
        local to; to=$(other $at)
        qemu_start "$to" "$size" "$wl" 1
        sleep 2
        # As shipped, except the bandwidth cap (QEMU's default, 128 MiB/s, would measure the cap, not the VMM).
        hmp "$at" "migrate_set_parameter max-bandwidth 100G" > /dev/null
        start_ping
        sleep 1
        local t0; t0=$(ms)
        hmp "$at" "migrate -d tcp:${ADDR[$to]}:4444" > /dev/null
        local info="" status=""
        for ((i = 0; i < 6000; i++)); do
            info=$(hmp "$at" "info migrate")
            status=$(echo "$info" | sed -n 's/^Migration status: *//p')
            case $status in completed|failed|cancelled) break ;; esac
            sleep 0.1
        done
        local wall=$(( $(ms) - t0 ))
        sleep 1
        local gap; gap=$(stop_ping)
        echo "$info" > "$LOG/qemu-$size-$wl-$r-info.txt"
        local down total kb
        down=$(echo "$info" | sed -n 's/^downtime: *\([0-9]*\) ms/\1/p')
        total=$(echo "$info" | sed -n 's/^total time: *\([0-9]*\) ms/\1/p')
        kb=$(echo "$info" | sed -n 's/^transferred ram: *\([0-9]*\) kbytes/\1/p')
        local passes; passes=$(echo "$info" | sed -n 's/^dirty sync count: *\([0-9]*\)/\1/p')
        row qemu "$size" "$wl" "$r" "$at" "$to" "${down:--}" "${total:--}" "$(( ${kb:-0} * 1024 ))" "$gap" "$wall" "${passes:--}" "${status:-none}" -
        say "qemu $size MiB $wl run $r: $at -> $to $status downtime ${down:-?} ms, total ${total:-?} ms, ${kb:-?} KiB, ping gap $gap ms"
        hmp "$at" "quit" > /dev/null
        sleep 1
        [ "$status" = completed ] || { kill "$(cat "$S/qemu-$to.pid")" 2>/dev/null; break; }
        at=$to
        sleep 3
    done
    hmp "$at" "quit" > /dev/null
    sleep 1
}

for size in $SIZES; do
    for wl in $WORKLOADS; do
        for vmm in $VMMS; do
            say "== $vmm $size MiB $wl"
            case $vmm in
                xenon|xenon-base) xenon_case "$size" "$wl" "$vmm" ;;
                qemu) qemu_case "$size" "$wl" ;;
            esac
        done
    done
done
for ns in $src $dst $lan; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null; done
sleep 1
for ns in $src $dst $lan; do ip netns del $ns 2>/dev/null; done
sync
say "done"
