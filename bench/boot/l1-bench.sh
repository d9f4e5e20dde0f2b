#!/usr/bin/env bash
# l1-bench.sh - runs inside the nested host (started by run.sh through nested/run.sh).
#
#   l1-bench.sh OUT_DIR RUNS WARMUPS VMM...
#
# VMM is one of: xenon-aot, xenon-r2r, xenon-jit (./bin-aot/xenon, ./bin-r2r/xenon, ./bin-jit/xenon),
# qemu-microvm, qemu-q35, and base-aot (./bin-base-aot/xenon: another build to compare with in the same run,
# e.g. the tree before a change; not a "xenon" variant for the ratios). Any of these with "-pvh" appended
# (xenon-aot-pvh, qemu-microvm-pvh, base-aot-pvh, ...) boots the same kernel's ELF, GUEST_DIR/vmlinux, through
# its PVH entry instead of the bzImage: no decompressor in the guest, and every VMM gets the same file.
# Boots the default guest with each VMM round-robin (the starting VMM rotates each round, so no
# VMM always follows the same other one), WARMUPS unrecorded rounds first, then RUNS rounds;
# then RUNS runs of the startup floors (`xenon help`, `qemu-system-x86_64 --version`).
# Writes OUT_DIR/raw.tsv (one row per process, columns in HEADER below), OUT_DIR/env.txt and
# every process's output in OUT_DIR/logs/. Same guest for all: kernel, initramfs, 256 MiB,
# 1 vCPU, command line "console=ttyS0 quiet -- true" (env: GUEST_DIR, BENCH_MEM, BENCH_APPEND).
set -uo pipefail

[ $# -ge 4 ] || { echo "usage: l1-bench.sh OUT_DIR RUNS WARMUPS VMM..." >&2; exit 2; }
OUT=$1 RUNS=$2 WARM=$3
shift 3
VMMS=("$@")
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=probe.sh
. "$HERE/probe.sh"

GUEST_DIR=${GUEST_DIR:-/opt/guest}
MEM=${BENCH_MEM:-256}
APPEND=${BENCH_APPEND:-console=ttyS0 quiet -- true}
GUEST_KIB=$((MEM * 1024))
KERNEL=$GUEST_DIR/vmlinuz INITRD=$GUEST_DIR/initrd.img PVH_KERNEL=$GUEST_DIR/vmlinux
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw.tsv
HEADER="vmm	round	warmup	rc	t_first_us	t_init_us	t_mods_us	t_exit_us	pause_us	vmrss_kib	rss_anon_kib	rss_file_kib	rss_shmem_kib	ram_rss_kib	ram_vmas	ram_backing	vmas"
echo "$HEADER" > "$RAW"

CFG=$OUT/bench.cfg
cat > "$CFG" <<EOF
name = "bench"
memory = $MEM
vcpus = 1
kernel = "$KERNEL"
ramdisk = "$INITRD"
extra = "$APPEND"
on_reboot = "destroy"
on_crash = "destroy"
EOF
CFG_PVH=$OUT/bench-pvh.cfg
sed "s|^kernel = .*|kernel = \"$PVH_KERNEL\"|" "$CFG" > "$CFG_PVH"

# QEMU: what `qemu-system-x86_64 -accel kvm` needs to boot the same guest the same way. microvm
# gets rtc=on: QEMU turns microvm's RTC off under KVM (rtc=auto), and the guest's rtc_cmos probe
# then polls the missing CMOS for ~10 s; xenon and q35 both have an RTC, so this keeps the
# three machines alike without touching the guest's command line.
QEMU_COMMON=(-accel kvm -cpu host -m "$MEM" -smp 1 -nodefaults -no-user-config -nographic
             -monitor none -serial stdio -no-reboot -initrd "$INITRD" -append "$APPEND")

vmm_cmd() {
    local cfg=$CFG kernel=$KERNEL name=$1
    case $name in *-pvh) cfg=$CFG_PVH kernel=$PVH_KERNEL name=${name%-pvh} ;; esac
    case $name in
        xenon-aot) CMD=(./bin-aot/xenon create -F -c "$cfg") ;;
        xenon-r2r) CMD=(./bin-r2r/xenon create -F -c "$cfg") ;;
        xenon-jit) CMD=(./bin-jit/xenon create -F -c "$cfg") ;;
        base-aot) CMD=(./bin-base-aot/xenon create -F -c "$cfg") ;;
        qemu-microvm) CMD=(qemu-system-x86_64 -M microvm,rtc=on "${QEMU_COMMON[@]}" -kernel "$kernel") ;;
        qemu-q35) CMD=(qemu-system-x86_64 -M q35 "${QEMU_COMMON[@]}" -kernel "$kernel") ;;
        xenon-aot-help) CMD=(./bin-aot/xenon help) ;;
        xenon-r2r-help) CMD=(./bin-r2r/xenon help) ;;
        xenon-jit-help) CMD=(./bin-jit/xenon help) ;;
        qemu-version) CMD=(qemu-system-x86_64 --version) ;;
        *) echo "l1-bench: unknown VMM $1" >&2; return 1 ;;
    esac
}

fmt_s() { [ -z "$1" ] && { printf -- '-'; return; }; printf '%d.%03d' $(($1 / 1000000)) $(($1 % 1000000 / 1000)); }

# one_run NAME ROUND WARMUP
one_run() {
    local name=$1 round=$2 warm=$3 CMD=() log
    vmm_cmd "$name" || return 1
    log=$OUT/logs/$name-$round.log
    probe_run "$log" "$GUEST_KIB" "${CMD[@]}"
    printf '%s\t' "$name" "$round" "$warm" "$P_RC" "$P_FIRST" "$P_INIT" "$P_MODS" "$P_EXIT" "$P_PAUSE" \
        "$P_VMRSS" "$P_ANON" "$P_FILE" "$P_SHMEM" "$P_RAM_RSS" "$P_RAM_VMAS" "$P_RAM_NAME" >> "$RAW"
    printf '%s\n' "$P_VMAS" >> "$RAW"
    echo "l1-bench: $name round $round$([ "$warm" = 1 ] && echo ' (warm-up)'): rc=$P_RC first=$(fmt_s "$P_FIRST") init=$(fmt_s "$P_INIT") exit=$(fmt_s "$P_EXIT") pause=$(fmt_s "$P_PAUSE") VmRSS=${P_VMRSS:--} guest-RAM-Rss=${P_RAM_RSS:--} ($P_RAM_NAME)"
    case $name in *-help|*-version) return 0 ;; esac
    if [ "$P_RC" != 0 ] || [ -z "$P_INIT" ]; then
        echo "l1-bench: $name round $round FAILED (rc=$P_RC); its output ($log):"
        tail -n 40 "$log" | tr -d '\r' | sed 's/^/  | /'
    fi
}

{
    echo "date: $(date -u +%FT%TZ)"
    echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"
    echo "memory: $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MiB"
    echo "kernel: $(uname -r)"
    echo "qemu: $(qemu-system-x86_64 --version | head -1)"
    echo "dotnet: $(dotnet --list-runtimes | tr '\n' ';')"
    echo "kvm: $(ls -l /dev/kvm)"
    echo "guest: $(readlink -f "$KERNEL") $(stat -c %s "$KERNEL") bytes, $(readlink -f "$INITRD") $(stat -c %s "$INITRD") bytes"
    echo "pvh kernel (the *-pvh variants): $(readlink -f "$PVH_KERNEL") $(stat -c %s "$PVH_KERNEL" 2>/dev/null || echo missing) bytes"
    echo "append: $APPEND"
    echo "memory MiB: $MEM"
    echo "qemu args: ${QEMU_COMMON[*]} -kernel KERNEL"
    echo "xenon config:"; sed 's/^/  /' "$CFG"
} > "$OUT/env.txt"
cat "$OUT/env.txt"

n=${#VMMS[@]}
for ((r = 1 - WARM; r <= RUNS; r++)); do
    warm=0; [ "$r" -le 0 ] && warm=1
    for ((j = 0; j < n; j++)); do
        one_run "${VMMS[$(( (j + r + WARM) % n ))]}" "$r" "$warm"
    done
done
# startup floors not already measured above (-V may list them as VMMs of their own)
floors=()
want() { local v; for v in "${VMMS[@]}"; do [ "$v" = "$1" ] && return 1; done; return 0; }
for v in "${VMMS[@]}"; do
    case $v in xenon-aot|xenon-r2r|xenon-jit) want "$v-help" && floors+=("$v-help") ;; esac
done
want qemu-version && floors+=(qemu-version)
for ((r = 1; r <= RUNS; r++)); do
    for f in "${floors[@]}"; do one_run "$f" "$r" 0; done
done
sync
