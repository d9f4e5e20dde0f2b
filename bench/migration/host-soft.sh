#!/usr/bin/env bash
# host-soft.sh - the migration benchmark's host mode: no nested host and no KVM. Xenon on its software CPU
# (accel = "soft") and QEMU TCG (-accel tcg -cpu max, q35) run the default guest directly on this host, between two
# network namespaces joined by a veth, with the same steps, guest, command line and memory as l1-bench.sh (which
# this runs). Must run as root.
#
#   bench/migration/host-soft.sh [-n RUNS] [-s "SIZES"] [-V "VMMS"] [-o OUT_DIR] [-b XENON_BIN_DIR]
#
#   -n RUNS  migrations per VMM, size and workload, back and forth (default 2)
#   -s SIZES guest memory in MiB (default "256 1024")
#   -V VMMS  default "xenon qemu"
#   -b DIR   a published Xenon CLI (dotnet publish src/Xenon.Cli -c Release -r linux-x64 --self-contained false
#            -p:PublishReadyToRun=true -o DIR); default: published here into OUT_DIR/bin
# Env: BENCH_WORKLOADS ("idle dirty"), BENCH_XENON_PREPARE (1), BENCH_NS_PREFIX (xmh: namespaces xmh-src/-dst/-lan),
#      BENCH_GUEST (/var/cache/xenon/guest/current). Results: OUT_DIR/results/{raw.tsv,env.txt,logs/}, summarized.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNS=2 SIZES="256 1024" VMMS="xenon qemu" OUT="" BIN=""
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts "n:s:V:o:b:h" o; do
    case $o in
        n) RUNS=$OPTARG ;; s) SIZES=$OPTARG ;; V) VMMS=$OPTARG ;; o) OUT=$OPTARG ;; b) BIN=$OPTARG ;; *) usage ;;
    esac
done
[[ $RUNS =~ ^[0-9]+$ ]] || usage
[ "$(id -u)" = 0 ] || { echo "host-soft: must run as root" >&2; exit 1; }
# the tools it drives; installed here when missing, as the project's other scripts do
need=()
for t in socat:socat busybox:busybox-static qemu-system-x86_64:qemu-system-x86 ip:iproute2; do
    command -v "${t%%:*}" > /dev/null || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "host-soft: apt-get install ${need[*]}" >&2
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null \
        || { echo "host-soft: could not install ${need[*]}" >&2; exit 1; }
fi
OUT=${OUT:-/var/tmp/xenon-bench/migration-host-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
if [ -z "$BIN" ]; then
    BIN=$OUT/bin
    DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet publish "$REPO/src/Xenon.Cli" -c Release -r linux-x64 \
        --self-contained false -p:PublishReadyToRun=true --artifacts-path "$OUT/artifacts" -o "$BIN" > "$OUT/publish.log" 2>&1 \
        || { tail -n 30 "$OUT/publish.log" >&2; exit 1; }
fi
BENCH_GUEST=${BENCH_GUEST:-/var/cache/xenon/guest/current} BENCH_XENON_ACCEL=soft BENCH_QEMU_ACCEL=tcg \
BENCH_NS_PREFIX=${BENCH_NS_PREFIX:-xmh} BENCH_SCRATCH=$OUT/scratch XENON=$BIN/xenon \
    bash "$HERE/l1-bench.sh" "$OUT/results" "$RUNS" "$SIZES" "$VMMS"
bash "$HERE/summarize.sh" "$OUT/results" 2>/dev/null || cat "$OUT/results/raw.tsv"
