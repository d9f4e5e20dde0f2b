#!/usr/bin/env bash
# l1-io.sh - runs inside the nested host (started by run.sh through nested/run.sh).
#
#   l1-io.sh OUT_DIR TARGETS JOBS RUNTIME_S AIO [ROUNDS]
#
# TARGETS and JOBS are comma lists (host,qemu,xenon; names from jobs.sh). AIO is QEMU's aio=
# for the disk, or "auto": io_uring when this QEMU accepts it on the disk file, else threads.
# Beside this script: jobs.sh, bench-initrd.img, tools/ (fio and iperf3 with their libraries,
# from guest/build-bench-guest.sh) and, for xenon, bin/xenon.
#
# One 512 MiB raw disk file (written in full first, so reads hit allocated blocks) serves every
# target. It lives in the nested host's RAM, on ext4 over a loop device over a tmpfs file: O_DIRECT
# works there (tmpfs itself refuses it before Linux 6.6), the numbers leave out the outer QEMU's
# TCG disk emulation, and the benchmark puts no load on the nested host's own virtio disk, under
# which that host has wedged for good (0% CPU, no output) in 3 of 4 runs that used it.
# The host runs fio on the file with O_DIRECT; the VMs get it as a virtio-blk disk, QEMU
# with cache=BENCH_QEMU_CACHE (default none: the nested host's page cache bypassed) and Xenon
# with its raw file backend, direct-io-safe (O_DIRECT) when QEMU's cache is none or directsync and
# through the page cache otherwise. variants.txt beside this script (from run.sh -x) lists more
# Xenon runs, "LABEL SPEC" a line, each a target xenon-LABEL. Bridge xenbr0 holds
# 10.0.0.1/24 and an iperf3 server; each VM's tap joins it and the guest takes 10.0.0.2/24.
# Both VMs: the same kernel (/opt/guest/vmlinuz), initramfs, memory, vCPUs and guest steps.
#
# ROUNDS (default 1) runs every target that many times, the order reversed on every second round so
# neither VM always goes first under a load that drifts; round r > 1 of a target is the target NAME~r.
# Writes OUT_DIR/<target>/{fio,iperf}-<job>.json, OUT_DIR/status.tsv (target kind job rc),
# OUT_DIR/env.txt and OUT_DIR/logs/ (VM consoles, iperf3 server, setup).
# Env: BENCH_MEM (guest MiB, default 512), BENCH_VCPUS (default 1), BENCH_QEMU_CACHE (default
# none), BENCH_PROBE=1 (sample the nested host's CPU while each VM runs: logs/<target>-vmstat.log,
# and every VMM thread's CPU ticks and system call each second in logs/<target>-threads.log; top -H
# is no substitute: its line for a process's main thread shows the whole process). source.txt beside this script, if present, is copied into env.txt (what was built).
set -uo pipefail

[ $# -eq 5 ] || [ $# -eq 6 ] || { echo "usage: l1-io.sh OUT_DIR TARGETS JOBS RUNTIME_S AIO [ROUNDS]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=jobs.sh
. "$HERE/jobs.sh"
OUT=$1 RT=$4 AIO=$5 ROUNDS=${6:-1}
IFS=, read -r -a TARGETS <<<"$2"
IFS=, read -r -a JOBS <<<"$3"
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)

MEM=${BENCH_MEM:-512} VCPUS=${BENCH_VCPUS:-1} CACHE=${BENCH_QEMU_CACHE:-none} PROBE=${BENCH_PROBE:-0}
KERNEL=/opt/guest/vmlinuz
INITRD=$HERE/bench-initrd.img
TOOLS=$HERE/tools
RAMDIR=/run/xenon-iobench    # tmpfs (backing file) and the ext4 mount point
DISK=$RAMDIR/fs/disk.img
LOOP=""
MAC=00:16:3e:00:00:01
TAP=xiotap0
STATUS=$OUT/status.tsv
say() { echo "l1-io: $*"; }

# The host side runs the very binaries the guest runs, through their own loader and libraries.
LOADER=("$TOOLS/lib64/ld-linux-x86-64.so.2" --library-path "$TOOLS/usr/lib/x86_64-linux-gnu")
tool() { local t=$1; shift; "${LOADER[@]}" "$TOOLS/usr/bin/$t" "$@"; }

FIO_JOBS=() NET_JOBS=()
for j in "${JOBS[@]}"; do
    case $(io_job_kind "$j") in
        fio) FIO_JOBS+=("$j") ;;
        iperf) NET_JOBS+=("$j") ;;
        *) say "unknown job $j"; exit 2 ;;
    esac
done

# ------------------------------------------------------------------ checks and setup
[ -e /dev/kvm ] || { say "no /dev/kvm"; exit 1; }
if [ ! -f "$INITRD" ] || [ ! -x "$TOOLS/usr/bin/fio" ]; then say "missing $INITRD or $TOOLS"; exit 1; fi
if [ -f "$HERE/guest-version" ] && [ "$(cat "$HERE/guest-version")" != "$(cat /opt/guest/version 2>/dev/null)" ]; then
    say "bench initrd is for kernel $(cat "$HERE/guest-version") but /opt/guest holds $(cat /opt/guest/version 2>/dev/null);" \
        "rebuild the nested host (nested/build-host.sh)"
    exit 1
fi

IPERF_PID=""
cleanup() {
    [ -n "$IPERF_PID" ] && kill "$IPERF_PID" 2>/dev/null
    ip link del "$TAP" 2>/dev/null
    ip link del xenbr0 2>/dev/null
    mountpoint -q "$RAMDIR/fs" && umount "$RAMDIR/fs"
    [ -n "$LOOP" ] && losetup -d "$LOOP"
    mountpoint -q "$RAMDIR/ram" && umount "$RAMDIR/ram"
}
trap cleanup EXIT

disk_up() {
    modprobe loop 2>/dev/null
    mkdir -p "$RAMDIR/ram" "$RAMDIR/fs" || return 1
    mount -t tmpfs -o "size=$((IO_DISK_MIB + 80))m,mode=0700" xenon-iobench "$RAMDIR/ram" || return 1
    truncate -s "$((IO_DISK_MIB + 64))M" "$RAMDIR/ram/fs.img" || return 1
    LOOP=$(losetup --find --show "$RAMDIR/ram/fs.img") || return 1
    mkfs.ext4 -q -m 0 -E lazy_itable_init=0,lazy_journal_init=0 "$LOOP" || return 1
    mount -t ext4 "$LOOP" "$RAMDIR/fs"
}
say "RAM-backed disk: writing the ${IO_DISK_MIB} MiB disk file"
disk_up || { say "cannot set up the RAM-backed disk under $RAMDIR"; exit 1; }
dd if=/dev/zero of="$DISK" bs=1M count="$IO_DISK_MIB" oflag=direct conv=fsync status=none || { say "cannot write $DISK"; exit 1; }

WANT_QEMU=0
case " ${TARGETS[*]} " in *" qemu "*) WANT_QEMU=1 ;; esac
if [ "$AIO" = auto ] && [ "$WANT_QEMU" = 1 ]; then
    # -monitor stdio reads "quit" and exits 0 once the drive opened; an aio= QEMU cannot do fails first.
    if echo quit | timeout 60 qemu-system-x86_64 -machine none -nodefaults -no-user-config -display none -monitor stdio \
            -drive "if=none,id=probe,file=$DISK,format=raw,cache=$CACHE,aio=io_uring" > "$OUT/logs/aio-probe.log" 2>&1; then
        AIO=io_uring
    else
        AIO=threads
    fi
fi

net_up() {
    modprobe bridge 2>/dev/null; modprobe tun 2>/dev/null
    ip link add xenbr0 type bridge forward_delay 0 stp_state 0 || return 1
    ip addr add "$IO_HOST_IP/$IO_PREFIX" dev xenbr0 || return 1
    ip link set xenbr0 up || return 1
    ip link set lo up
    # a simple command, not the function: $! is then iperf3 itself
    "${LOADER[@]}" "$TOOLS/usr/bin/iperf3" -s -B "$IO_HOST_IP" > "$OUT/logs/iperf3-server.log" 2>&1 &
    IPERF_PID=$!
}
if [ ${#NET_JOBS[@]} -gt 0 ]; then
    net_up || { say "bridge setup failed"; exit 1; }
fi

# ------------------------------------------------------------------ the guest's steps
# Shell lines the guest's xenon-io runs for the jobs in G_FIO and G_NET, in job order (fio first:
# a network failure then costs no disk results).
guest_script() {
    local j
    [ ${#G_FIO[@]} -gt 0 ] && disk_limits
    for j in "${G_FIO[@]}"; do
        disk_stat before "$j"
        echo "xenon-io fio $j --filename=/dev/vda $(io_fio_args "$j" "$RT")"
        disk_stat after "$j"
    done
    if [ ${#G_NET[@]} -gt 0 ]; then
        echo "xenon-io net $IO_GUEST_IP/$IO_PREFIX $IO_HOST_IP"
        for j in "${G_NET[@]}"; do
            guest_stat before "$j"
            echo "xenon-io iperf $j $(io_iperf_args "$j" "$RT")"
            guest_stat after "$j"
        done
    fi
}
# guest_stat WHEN JOB: shell lines that print the guest's own view around a network job (its virtio
# interrupts per vector, the NIC's packet counts, TCP's segment and retransmit counts), a few hundred
# bytes on the console, each line "XENON-IO-STAT WHEN JOB ..." (collected into logs/<target>-netstat.txt)
guest_stat() {
    echo "grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | sed 's/^/XENON-IO-STAT $1 $2 irq /' || true"
    echo "for d in /sys/class/net/e*; do echo XENON-IO-STAT $1 $2 nic \${d##*/} tx \$(cat \$d/statistics/tx_packets) rx \$(cat \$d/statistics/rx_packets); done || true"
    echo "grep '^Tcp:' /proc/net/snmp | sed 's/^/XENON-IO-STAT $1 $2 snmp /' || true"
    # the clock every timestamp of the stack reads (a clock that exits to the VMM costs per packet) and the timer ticks
    echo "echo XENON-IO-STAT $1 $2 clock \$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) idle \$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null) || true"
    # where the guest's CPU went (user nice system idle iowait irq softirq steal, in ticks)
    echo "grep '^cpu ' /proc/stat | sed 's/^/XENON-IO-STAT $1 $2 /' || true"
    echo "grep -E '^ *(LOC|RES|CAL|TLB|SPU):' /proc/interrupts | sed 's/^/XENON-IO-STAT $1 $2 irq /' || true"
}
# disk_limits: the guest's request limits for vda (how big a request it sends, in how many buffers), once
disk_limits() {
    echo "echo XENON-IO-STAT limits - vda \$(cd /sys/block/vda/queue && for f in max_sectors_kb max_hw_sectors_kb max_segments max_segment_size nr_requests; do echo \$f \$(cat \$f); done) || true"
}
# disk_stat WHEN JOB: the guest's view around a fio job: vda's /proc/diskstats line (requests, merges, sectors,
# ms per direction: sectors ÷ requests is the size the device saw) and the virtio interrupts per vector
disk_stat() {
    echo "grep ' vda ' /proc/diskstats | sed 's/^ */XENON-IO-STAT $1 $2 diskstats /' || true"
    echo "grep -E 'virtio[0-9]+-(req|config)' /proc/interrupts | sed 's/^/XENON-IO-STAT $1 $2 irq /' || true"
}
# guest_run SCRIPT_FILE: APPEND (the guest command line) and VM_TMO for the jobs in G_FIO and G_NET
guest_run() {
    guest_script > "$1"
    APPEND="console=ttyS0 quiet -- xenon-io script $(gzip -9 -n -c "$1" | base64 -w0)"
    [ ${#APPEND} -lt 2000 ] || { say "guest command line too long (${#APPEND} bytes)"; exit 1; }
    # boot, plus each job's runtime, ramp and start-up, twice over (the nested host is slow and shared)
    VM_TMO=$(( 2 * (120 + ${#G_FIO[@]} * (RT + IO_RAMP_S + 20) + ${#G_NET[@]} * (RT + 1 + 20)) ))
}
G_FIO=("${FIO_JOBS[@]}") G_NET=("${NET_JOBS[@]}") RUN_JOBS=("${JOBS[@]}")
guest_run "$OUT/guest-script.sh"

QEMU=(qemu-system-x86_64 -accel kvm -cpu host -M q35 -m "$MEM" -smp "$VCPUS" -nodefaults -no-user-config -nographic
      -monitor none -serial stdio -no-reboot -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND"
      -drive "if=none,id=disk0,file=$DISK,format=raw,cache=$CACHE,aio=$AIO" -device "virtio-blk-pci,drive=disk0")
[ ${#NET_JOBS[@]} -gt 0 ] && QEMU+=(-netdev "tap,id=net0,ifname=$TAP,script=no,downscript=no,vhost=off"
                                   -device "virtio-net-pci,netdev=net0,mac=$MAC,romfile=")

# Xenon's disk cache mode follows QEMU's: O_DIRECT (direct-io-safe) against cache=none/directsync
case $CACHE in none|directsync) XDISK=direct-io-safe ;; *) XDISK=buffered ;; esac
# xenon_cfg FILE DISKMODE: the domain config for the current APPEND and G_NET
xenon_cfg() {
    local opts=""
    [ "$2" = direct-io-safe ] && opts=", direct-io-safe"
    {
        echo 'name = "iobench"'
        echo "memory = $MEM"
        echo "vcpus = $VCPUS"
        echo "kernel = \"$KERNEL\""
        echo "ramdisk = \"$INITRD\""
        echo "extra = \"$APPEND\""
        echo "disk = [ 'format=raw, vdev=xvda, access=rw$opts, target=$DISK' ]"
        [ ${#G_NET[@]} -gt 0 ] && echo "vif = [ 'mac=$MAC, bridge=xenbr0' ]"
        echo 'on_reboot = "destroy"'
        echo 'on_crash = "destroy"'
    } > "$1"
}
CFG=$OUT/xenon.cfg
xenon_cfg "$CFG" "$XDISK"
VARIANTS=()
[ -f "$HERE/variants.txt" ] && mapfile -t VARIANTS < "$HERE/variants.txt"

{
    echo "date: $(date -u +%FT%TZ)"
    echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"
    echo "memory: $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MiB"
    echo "kernel: $(uname -r)"
    echo "qemu: $(qemu-system-x86_64 --version | head -1)"
    echo "fio: $(tool fio --version); iperf3: $(tool iperf3 --version | head -1)"
    echo "disk: $DISK, ${IO_DISK_MIB} MiB raw on ext4 on $LOOP on a tmpfs file (RAM of the nested host)"
    [ "$WANT_QEMU" = 1 ] && echo "qemu disk: cache=$CACHE,aio=$AIO"
    [ -f "$HERE/source.txt" ] && sed 's/^/source: /' "$HERE/source.txt"
    echo "guest: $(readlink -f "$KERNEL") ($(cat /opt/guest/version)), $INITRD $(stat -c %s "$INITRD") bytes, $MEM MiB, $VCPUS vCPU"
    echo "targets: ${TARGETS[*]}; jobs: ${JOBS[*]}; runtime ${RT} s (+${IO_RAMP_S} s fio ramp); rounds $ROUNDS"
    echo "qemu args: ${QEMU[*]}"
    echo "xenon config:"; sed 's/^/  /' "$CFG"
    for v in "${VARIANTS[@]}"; do echo "xenon variant: $v"; done
    echo "guest script:"; sed 's/^/  /' "$OUT/guest-script.sh"
} > "$OUT/env.txt"
cat "$OUT/env.txt"
printf 'target\tkind\tjob\trc\n' > "$STATUS"

# ------------------------------------------------------------------ targets
# run_host NAME: the jobs on the nested host itself, results as target NAME (host, or host~r)
run_host() {
    local j rc n=$1
    mkdir -p "$OUT/$n"
    for j in "${FIO_JOBS[@]}"; do
        # shellcheck disable=SC2046  # the job's arguments are a word list
        tool fio --output-format=json --name="$j" --filename="$DISK" $(io_fio_args "$j" "$RT") \
            > "$OUT/$n/fio-$j.json" 2> "$OUT/logs/$n-fio-$j.err"
        rc=$?
        printf '%s\tfio\t%s\t%s\n' "$n" "$j" "$rc" >> "$STATUS"
        say "$n fio $j rc=$rc"
        sync   # each finished job survives a wedged nested host
    done
    for j in "${NET_JOBS[@]}"; do
        # shellcheck disable=SC2046
        tool iperf3 --json $(io_iperf_args "$j" "$RT") > "$OUT/$n/iperf-$j.json" 2> "$OUT/logs/$n-iperf-$j.err"
        rc=$?
        printf '%s\tiperf\t%s\t%s\n' "$n" "$j" "$rc" >> "$STATUS"
        say "$n iperf3 $j rc=$rc"
        sync
    done
}

# extract_results TARGET LOG: the guest's XENON-IO blocks in the console LOG -> OUT/TARGET/*.json
extract_results() {
    local target=$1 log=$2 line kind name rc b64="" in=0 seen=()
    mkdir -p "$OUT/$target"
    while IFS= read -r line; do
        line=${line%$'\r'}
        case $line in
            "XENON-IO-BEGIN "*)
                read -r _ kind name <<<"$line"; b64=""; in=1 ;;
            "XENON-IO-END "*)
                read -r _ _ _ rc <<<"$line"
                if [ "$in" = 1 ]; then
                    if ! base64 -d <<<"$b64" 2>/dev/null | gunzip -c > "$OUT/$target/$kind-$name.json" 2>/dev/null; then
                        say "$target $kind $name: console block does not decode"; rc=decode
                    fi
                    printf '%s\t%s\t%s\t%s\n' "$target" "$kind" "$name" "$rc" >> "$STATUS"
                    say "$target $kind $name rc=$rc"
                    seen+=("$name")
                fi
                in=0 ;;
            *)
                # only base64 lines belong to a block; anything else (a stray kernel line) is skipped
                [ "$in" = 1 ] && [[ $line =~ ^[A-Za-z0-9+/=]+$ ]] && b64+=$line$'\n' ;;
        esac
    done < "$log"
    for name in "${RUN_JOBS[@]}"; do
        case " ${seen[*]} " in *" $name "*) ;; *)
            printf '%s\t%s\t%s\t%s\n' "$target" "$(io_job_kind "$name")" "$name" missing >> "$STATUS" ;;
        esac
    done
}

# show_console TARGET: copies a console stream to stdout, prefixed, without the result blocks.
show_console() {
    local line in=0
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        case $line in
            "XENON-IO-BEGIN "*) in=1; echo "  [$1] $line" ;;
            "XENON-IO-END "*) in=0; echo "  [$1] $line" ;;
            *) [ "$in" = 1 ] || echo "  [$1] $line" ;;
        esac
    done
}

# sample_threads: once a second, every thread of the VMM processes (xenon, qemu-system-*): pid, tid, name,
# user and system ticks, state, and the system call it is in (/proc/TID/syscall: its number, or "running")
sample_threads() {
    local p
    while :; do
        echo "T $(date +%s.%N)"
        for p in $(pgrep -x xenon; pgrep -f '^qemu-system'); do
            # one awk per process: the name may hold spaces, so fields count from the ") " that ends it
            awk -v P="$p" '
                FILENAME ~ /stat$/ {
                    i = index($0, ") "); n = split(substr($0, i + 2), f, " ")
                    name = substr($0, index($0, "(") + 1, i - index($0, "(") - 1); gsub(/ /, "_", name)
                    split(FILENAME, q, "/"); s[q[5]] = name " " f[12] " " f[13] " " f[1] }
                FILENAME ~ /syscall$/ { split(FILENAME, q, "/"); c[q[5]] = $1 }
                END { for (t in s) print P, t, s[t], (t in c ? c[t] : "-") }' \
                /proc/"$p"/task/*/stat /proc/"$p"/task/*/syscall 2>/dev/null
        done
        sleep 1
    done
}

# run_vm TARGET CMD...: boots the guest, waits for it to power off, collects what it printed.
run_vm() {
    local target=$1 log=$OUT/logs/$1-console.log rc t0 t1; shift
    sync   # what is written so far survives a wedged nested host
    say "$target: starting (limit ${VM_TMO} s): $*"
    t0=$(date +%s)
    local probes=()
    if [ "$PROBE" = 1 ]; then
        # where the nested host's one CPU goes while the VM runs: user/system/idle, and by thread
        vmstat -n -t 2 > "$OUT/logs/$target-vmstat.log" 2>&1 & probes+=($!)
        sample_threads > "$OUT/logs/$target-threads.log" 2>&1 & probes+=($!)
    fi
    # The console is also shown as it comes (less the base64 blocks): if the VM wedges the whole
    # nested host, as a hung nested guest can, what was already streamed out is all there is.
    timeout -k 10 "$VM_TMO" "$@" < /dev/null 2>&1 | tee "$log" | show_console "$target"
    rc=${PIPESTATUS[0]}
    t1=$(date +%s)
    if [ ${#probes[@]} -gt 0 ]; then
        kill "${probes[@]}" 2>/dev/null; wait "${probes[@]}" 2>/dev/null
    fi
    say "$target: exit $rc after $((t1 - t0)) s; guest: $(tr -d '\r' < "$log" | grep -m1 -o 'XENON-CMD-RC [0-9]*' || echo 'no XENON-CMD-RC')"
    extract_results "$target" "$log"
    # the guest's own counters around each job and the devices' at exit (Xenon: "vif N ..." and "vbd N ..." lines)
    tr -d '\r' < "$log" | grep -a -e '^XENON-IO-STAT ' -e ': vif [0-9]' -e ': vbd [0-9]' > "$OUT/logs/$target-netstat.txt" || true
    sync
}

# run_target TARGET SUFFIX: one run of host, qemu or xenon; results as target TARGET$SUFFIX
run_target() {
    local t=$1 n=$1$2
    # a variant run before this one set its own jobs, command line and time limit
    G_FIO=("${FIO_JOBS[@]}") G_NET=("${NET_JOBS[@]}") RUN_JOBS=("${JOBS[@]}")
    guest_run "$OUT/guest-script.sh"
    case $t in
        host) run_host "$n" ;;
        qemu)
            if [ ${#NET_JOBS[@]} -gt 0 ]; then
                if ! { ip tuntap add dev "$TAP" mode tap && ip link set "$TAP" master xenbr0 && ip link set "$TAP" up; }; then
                    say "cannot create $TAP"; return
                fi
            fi
            run_vm "$n" "${QEMU[@]}"
            ip link del "$TAP" 2>/dev/null ;;
        xenon)
            # Xenon creates the domain's tap itself and adds it to the bridge the vif names.
            run_vm "$n" "$HERE/bin/xenon" create -F -c "$CFG" ;;
        *) say "unknown target $t" ;;
    esac
}

# run_variant LABEL SPEC SUFFIX: one more Xenon run with its own environment, disk mode and jobs (run.sh -x)
run_variant() {
    local label=$1 spec=$2 it j g mode=$XDISK envs=() want=() cfg
    IFS=+ read -r -a items <<<"$spec"
    for it in "${items[@]}"; do
        case $it in
            disk=*) mode=${it#disk=} ;;
            jobs=*) IFS=: read -r -a want <<<"${it#jobs=}" ;;
            *=*) envs+=("$it") ;;
        esac
    done
    G_FIO=() G_NET=() RUN_JOBS=()
    for j in "${JOBS[@]}"; do
        if [ ${#want[@]} -gt 0 ]; then
            # a job is wanted by name or by its group (fio, net)
            g=fio; [ "$(io_job_kind "$j")" = iperf ] && g=net
            case " ${want[*]} " in *" $j "*|*" $g "*) ;; *) continue ;; esac
        fi
        case $(io_job_kind "$j") in fio) G_FIO+=("$j") ;; iperf) G_NET+=("$j") ;; esac
        RUN_JOBS+=("$j")
    done
    [ ${#RUN_JOBS[@]} -gt 0 ] || { say "variant $label: none of its jobs is in this run"; return; }
    guest_run "$OUT/guest-script-$label.sh"
    cfg=$OUT/xenon-$label.cfg
    xenon_cfg "$cfg" "$mode"
    run_vm "xenon-$label$3" env "${envs[@]}" "$HERE/bin/xenon" create -F -c "$cfg"
}

# every run of a round, in order: the targets, then the variants
RUNS=("${TARGETS[@]}")
for v in "${VARIANTS[@]}"; do [ -n "$v" ] && RUNS+=("variant:$v"); done
for ((round = 1; round <= ROUNDS; round++)); do
    suffix=""; [ "$round" -gt 1 ] && suffix="~$round"
    order=("${RUNS[@]}")
    if [ $((round % 2)) = 0 ]; then
        order=(); for ((i = ${#RUNS[@]} - 1; i >= 0; i--)); do order+=("${RUNS[i]}"); done
    fi
    [ "$ROUNDS" -gt 1 ] && say "round $round of $ROUNDS: ${order[*]}"
    for run in "${order[@]}"; do
        case $run in
            variant:*) v=${run#variant:}; run_variant "${v%% *}" "${v#* }" "$suffix" ;;
            *) run_target "$run" "$suffix" ;;
        esac
    done
done
sync
