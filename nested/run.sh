#!/usr/bin/env bash
# run.sh - run a command inside the nested host (L1), where /dev/kvm is real KVM (kvm_amd on an
# SVM CPU that QEMU emulates under TCG).
#
#   nested/run.sh [-t SECS] [-m MiB] [-i] [-k] [-v] [-e K=V]... DIR -- CMD [ARGS...]
#
# DIR is copied into an ext4 work image mounted at /work in L1 (CMD's working directory) and,
# after L1 powers off, copied back so DIR holds what CMD left there. One CMD word is a bash
# script (bash -c); several are an argv. Inside L1: dotnet on PATH (DOTNET_ROOT=/usr/share/dotnet),
# qemu-system-x86_64, /dev/kvm (kvm_amd nested=0), the default guest in /opt/guest, no network;
# the root filesystem is a tmpfs overlay, so writes outside /work are lost.
#
# Output: CMD's stdout and stderr stream to ours (virtio-serial ports -> files -> tail -f). The
# exit status is CMD's; 124 = timeout (inside L1, or the whole VM); 125 = harness failure.
#
#   -t SECS  time limit for CMD inside L1 (default 1800). The VM as a whole gets SECS plus
#            $XENON_NESTED_MARGIN (default 120): a hung nested guest can freeze L1 entirely.
#   -m MiB   L1 memory (default 2048)
#   -i       interactive: L1's serial console is our terminal (raw); CMD's stdin/stdout/stderr
#            are that console and it is CMD's controlling terminal. Kernel messages share it.
#   -e K=V   environment for CMD (repeatable)
#   -k       keep the run directory (console.log, qemu.log, images) and print its path
#   -v       copy L1's console to stderr and print timings
# Without -i, L1 prints a heartbeat on its console every 20 s while CMD runs; if no new heartbeat
# comes for $XENON_NESTED_STALL seconds (default 300, 0 = never; kernel warnings such as soft
# lockups do not count) L1 is taken as wedged and stopped: exit 124, and DIR still gets back what
# CMD had written and synced.
# Env: XENON_CACHE (assets from nested/build-host.sh, rebuilt when an input changed),
#      XENON_NESTED_SKIP_BUILD=1 (use the assets as they are), XENON_NESTED_APPEND (L1 kernel args),
#      XENON_NESTED_SMP (L1 CPUs, default 1: with 2, TCG runs one host thread a CPU and leaves no core
#      for anything else on a 2-core machine), TMPDIR (where run directories go).
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
TMO=1800 MEM=2048 INTERACTIVE=0 KEEP=0 VERBOSE=0
ENVS=()
say() { echo "nested/run: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 125; }
while getopts "t:m:ie:kvh" o; do
    case $o in
        t) TMO=$OPTARG ;; m) MEM=$OPTARG ;; i) INTERACTIVE=1 ;; e) ENVS+=("$OPTARG") ;;
        k) KEEP=1 ;; v) VERBOSE=1 ;; *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] && [ "$2" = "--" ] || usage
SRC=$1; shift 2
[ -d "$SRC" ] || { say "$SRC is not a directory"; exit 125; }
SRC=$(cd "$SRC" && pwd)
SMP=${XENON_NESTED_SMP:-1}
[[ $TMO =~ ^[0-9]+$ ]] && [[ $MEM =~ ^[0-9]+$ ]] && [[ $SMP =~ ^[1-8]$ ]] || usage
[ "$(id -u)" = 0 ] || { say "must run as root (loop mount, image building)"; exit 125; }
now() { date +%s.%N; }
T0=$(now)

# ------------------------------------------------------------------ assets
if [ "${XENON_NESTED_SKIP_BUILD:-0}" = 1 ]; then
    L1=${XENON_CACHE:-/var/cache/xenon}/nested
else
    L1=$(bash "$HERE/build-host.sh") || { say "nested/build-host.sh failed"; exit 125; }
fi
for f in vmlinuz initrd.cpio rootfs.img; do [ -f "$L1/$f" ] || { say "missing $L1/$f"; exit 125; }; done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/xenon-nested.XXXXXX")
QPID="" MONCAT="" TAILS=()
cleanup() {
    trap '' PIPE
    [ -n "$MONCAT" ] && kill "$MONCAT" 2>/dev/null
    if [ -n "$QPID" ]; then kill -TERM -- "-$QPID" 2>/dev/null || kill -TERM "$QPID" 2>/dev/null || true; fi
    for p in "${TAILS[@]}"; do kill "$p" 2>/dev/null || true; done
    if mountpoint -q "$RUN/mnt" 2>/dev/null; then umount "$RUN/mnt" || true; fi
    if [ "$KEEP" = 1 ]; then say "run directory kept: $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ work image
used=$(du -sm "$SRC" | cut -f1)
size=$(( used + used / 5 + ${XENON_NESTED_FREE_MB:-2048} + 16 ))
# mke2fs -d lists every file it copies on stdout
mke2fs -q -t ext4 -m 0 -L xwork -E lazy_itable_init=0,lazy_journal_init=0 -d "$SRC" "$RUN/work.img" "${size}M" >/dev/null \
    || { say "mke2fs -d $SRC failed"; exit 125; }

# ------------------------------------------------------------------ stage 2 (second cpio)
P=$RUN/cpio/nested
mkdir -p "$P"
cp "$HERE/l1/stage2" "$P/stage2"
{
    echo "NESTED_TIMEOUT=$TMO"
    echo "NESTED_INTERACTIVE=$INTERACTIVE"
    [ "$INTERACTIVE" = 1 ] && printf 'NESTED_TERM=%q\n' "${TERM:-vt100}"
    for kv in "${ENVS[@]}"; do
        [[ $kv == [A-Za-z_]*=* ]] || { say "bad -e $kv"; exit 125; }
        printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
} > "$P/env"
if [ $# -eq 1 ]; then
    printf '%s\n' "$1" > "$P/cmd.sh"
else
    { printf 'exec'; printf ' %q' "$@"; printf '\n'; } > "$P/cmd.sh"
fi
PORTS="status"
[ "$INTERACTIVE" = 1 ] || PORTS="status out err"
echo "$PORTS" > "$P/ports"
(cd "$RUN/cpio" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) > "$RUN/stage2.cpio"
# The kernel unpacks concatenated newc archives in order: stage 2 lands beside stage 1.
cat "$L1/initrd.cpio" "$RUN/stage2.cpio" > "$RUN/initrd"

# What a wedged L1 looks like from outside, for the log: are QEMU's vCPU threads spinning or blocked,
# where do the CPUs point (guest mode = inside a nested guest), and a SysRq task/CPU dump if L1's
# kernel still takes keyboard interrupts (stage2 enables every SysRq function; 8 raises the console
# log level so the dumps reach the console under "quiet").
stall_diagnostics() {
    local tpid=$1 qpid mon="$RUN/mon.in"
    qpid=$(pgrep -P "$tpid" -x qemu-system-x86 2>/dev/null || pgrep -P "$tpid" 2>/dev/null | head -n 1)
    echo "QEMU pid ${qpid:-?} threads (two samples 5 s apart; a vCPU thread whose TIME grows is spinning):"
    ps -L -o tid,stat,pcpu,time,wchan:24,comm -p "${qpid:-$tpid}" 2>&1 || true
    sleep 5
    ps -L -o tid,stat,pcpu,time,comm -p "${qpid:-$tpid}" 2>&1 || true
    mon() { printf '%s\n' "$1" 1<>"$mon"; sleep 1; }
    mon "info status"; mon "info cpus"; mon "info registers -a"
    # Three RIP samples per CPU, a second apart: one RIP every time is a tight spin, moving RIPs a livelock.
    local round c
    for round in 1 2 3; do
        for ((c = 0; c < SMP; c++)); do printf 'cpu %s\np $pc\n' "$c" 1<>"$mon"; done
        sleep 1
    done
    mon "sendkey alt-sysrq-8"; mon "sendkey alt-sysrq-l"; sleep 5; mon "sendkey alt-sysrq-w"; sleep 10
}

# ------------------------------------------------------------------ boot L1
: > "$RUN/out.log"; : > "$RUN/err.log"; : > "$RUN/status"; : > "$RUN/console.log"
Q=(qemu-system-x86_64 -accel tcg -M q35 -cpu EPYC,+svm -smp "$SMP" -m "$MEM"
   -nodefaults -no-user-config -display none -no-reboot
   -kernel "$L1/vmlinuz" -initrd "$RUN/initrd"
   -append "console=ttyS0 quiet panic=-1 ${XENON_NESTED_APPEND:-}"
   -drive "if=none,id=root,file=$L1/rootfs.img,format=raw,readonly=on" -device virtio-blk-pci,drive=root,serial=xroot
   -drive "if=none,id=work,file=$RUN/work.img,format=raw,cache=unsafe" -device virtio-blk-pci,drive=work,serial=xwork
   -device virtio-serial-pci
   -chardev "file,id=status,path=$RUN/status" -device virtserialport,chardev=status,name=status)
if [ "$INTERACTIVE" = 1 ]; then
    # signal=off: ^C goes to the command in L1, not to QEMU
    Q+=(-monitor none -chardev stdio,id=con,signal=off -serial chardev:con)
else
    # A monitor on two FIFOs (QEMU opens them read-write, so nothing blocks): the stall watchdog asks it
    # where the CPUs are before it stops a wedged L1.
    mkfifo "$RUN/mon.in" "$RUN/mon.out"
    Q+=(-monitor "pipe:$RUN/mon"
        -serial "file:$RUN/console.log"
        -chardev "file,id=out,path=$RUN/out.log" -device virtserialport,chardev=out,name=out
        -chardev "file,id=err,path=$RUN/err.log" -device virtserialport,chardev=err,name=err)
fi
printf '%q ' "${Q[@]}" > "$RUN/qemu.cmd"
TB=$(now)
VMTMO=$(( TMO + ${XENON_NESTED_MARGIN:-120} ))
if [ "$INTERACTIVE" = 1 ]; then
    # QEMU needs the terminal in the foreground; timeout --foreground leaves it there.
    set +e
    timeout --foreground -k 10 "$VMTMO" "${Q[@]}" 2>"$RUN/qemu.log"
    QRC=$?
    set -e
    stty sane 2>/dev/null || true
else
    # setsid: timeout(1) and QEMU in their own process group, so cleanup can end them together
    setsid timeout -k 10 "$VMTMO" "${Q[@]}" </dev/null >"$RUN/qemu.log" 2>&1 &
    QPID=$!
    cat 0<>"$RUN/mon.out" > "$RUN/monitor.log" & MONCAT=$!
    tail -n +1 -s 0.2 -f --pid="$QPID" "$RUN/out.log" & TAILS+=($!)
    tail -n +1 -s 0.2 -f --pid="$QPID" "$RUN/err.log" >&2 & TAILS+=($!)
    if [ "$VERBOSE" = 1 ]; then tail -n +1 -s 0.2 -f --pid="$QPID" "$RUN/console.log" | sed -u 's/^/[L1] /' >&2 & TAILS+=($!); fi
    STALL=${XENON_NESTED_STALL:-300}
    if [[ $STALL =~ ^[0-9]+$ ]] && [ "$STALL" -gt 0 ]; then
        (
            # Progress is a new heartbeat line, not any console output: a wedged L1 whose CPU is stuck in
            # KVM_RUN still prints "soft lockup" warnings every 28 s, which kept an mtime watchdog from firing.
            beats=0; last=$(date +%s)
            while kill -0 "$QPID" 2>/dev/null; do
                sleep 10
                n=$(grep -c XENON-L1-HB "$RUN/console.log" 2>/dev/null || true)
                if [ "${n:-0}" != "$beats" ]; then beats=${n:-0}; last=$(date +%s); fi
                quiet=$(( $(date +%s) - last ))
                if [ "$quiet" -ge "$STALL" ]; then
                    echo "$quiet" > "$RUN/stalled"
                    stall_diagnostics "$QPID" > "$RUN/stall-diag.txt" 2>&1 || true
                    kill -TERM -- "-$QPID" 2>/dev/null || kill -TERM "$QPID" 2>/dev/null
                    break
                fi
            done
        ) & TAILS+=($!)
    fi
    set +e
    wait "$QPID"
    QRC=$?
    set -e
    QPID=""
    kill "$MONCAT" 2>/dev/null || true; MONCAT=""
    for p in "${TAILS[@]}"; do wait "$p" 2>/dev/null || true; done
    TAILS=()
fi
TQ=$(now)

RC=$(tr -dc '0-9\n' < "$RUN/status" | grep -m1 . || true)
if [ -z "$RC" ]; then
    if [ -f "$RUN/stalled" ]; then
        say "L1 stalled: no heartbeat on its console for $(cat "$RUN/stalled") s; stopped it"; RC=124
        say "--- stall diagnostics (QEMU threads, then the monitor's view of the CPUs; a SysRq dump, if the kernel"
        say "    still took one, is in the console lines below) ---"
        cat "$RUN/stall-diag.txt" >&2 2>/dev/null || true
        tr -d '\r' < "$RUN/monitor.log" | grep -v -E '^(\(qemu\)|QEMU .* monitor|YMM|XMM|FPR|DR[0-7]=|FCW=)' | tail -n 80 >&2 || true
    elif [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
        say "L1 VM exceeded its ${VMTMO}s limit"; RC=124
    else
        say "L1 ended without reporting a status (qemu exit $QRC)"; RC=125
    fi
    if [ "$INTERACTIVE" = 0 ] && [ "$VERBOSE" = 0 ]; then
        lines=30; [ -f "$RUN/stalled" ] && lines=200
        say "--- L1 console (last $lines lines) ---"; tail -n "$lines" "$RUN/console.log" | tr -d '\r' >&2
    fi
    say "--- qemu log ---"; grep -v "doesn't support requested feature" "$RUN/qemu.log" | tail -n 10 >&2 || true
fi

# ------------------------------------------------------------------ copy back
frc=0
e2fsck -p "$RUN/work.img" >"$RUN/fsck.log" 2>&1 || frc=$?
if [ "$frc" -ge 4 ]; then
    say "work image damaged (e2fsck exit $frc); not copying back, keeping $RUN"; KEEP=1
    [ "$RC" = 0 ] && RC=125
else
    mkdir -p "$RUN/mnt"
    if mount -o loop,ro "$RUN/work.img" "$RUN/mnt" 2>/dev/null; then
        rsync -a --delete --exclude=/lost+found "$RUN/mnt/" "$SRC/" || { say "copy back failed"; [ "$RC" = 0 ] && RC=125; }
        umount "$RUN/mnt"
    else
        # no loop devices (e.g. in a container): debugfs reads the image without mounting it
        mkdir -p "$RUN/back"
        debugfs -R "rdump / $RUN/back" "$RUN/work.img" >"$RUN/debugfs.log" 2>&1 \
            && rsync -a --delete --exclude=/lost+found "$RUN/back/" "$SRC/" \
            || { say "copy back failed (debugfs)"; [ "$RC" = 0 ] && RC=125; }
    fi
fi
T1=$(now)
if [ "$VERBOSE" = 1 ]; then
    d() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
    say "timings: prepare $(d "$T0" "$TB") s, L1 run $(d "$TB" "$TQ") s, copy back $(d "$TQ" "$T1") s; status $RC"
fi
exit "$RC"
