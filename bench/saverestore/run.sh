#!/usr/bin/env bash
# run.sh - save/restore benchmark: how long `xenon restore` takes to have a saved guest running again, with its
# memory mapped from the file (docs/save-restore.md), for 256 MiB and 1 GiB guests, page cache warm and cold.
# Runs in the nested host (nested/run.sh), where /dev/kvm is real KVM.
#
#   bench/saverestore/run.sh [-n RUNS] [-t SECS] [-m L1_MIB] [-o OUT_DIR] [-s "SIZES"] [-f FILL_MIB]
#
#   -n RUNS    restores per size and cache state (default 5)
#   -t SECS    time limit inside the nested host (default 1500)
#   -m L1_MIB  nested host memory (default 4096: a 1 GiB guest, its file's page cache, the toolstack)
#   -o OUT_DIR where results go (default /var/tmp/xenon-bench/saverestore-<UTC time>)
#   -s SIZES   guest memory sizes in MiB (default "256 1024")
#   -f FILL    also run each size with FILL MiB of random data written by the guest before the save
#              (default 0: only the default guest as it boots, mostly zero pages)
#
# For each size: boot the default guest (a shell loop that ticks once a second), save it (xenon save), then
# RUNS times each: [cold: sync; drop_caches] xenon restore -d FILE, wait for the next tick, destroy.
# Each restore runs in two modes (BENCH_MODES, default "build prepared"): build = as xl restore, the domain process
# builds the machine after the request; prepared = `xenon restore --prepare CONFIG` beforehand (timed apart), so the
# request goes to a built, parked, warmed domain process.
# Measured: restore-to-running (the domain process's own clock, from taking the request, machine build included in
# mode build, to the vCPUs running; and its parts: build, records, memory), the whole `xenon restore` command (process start,
# toolstack, domain process start, until it reports running), the file's size and allocated bytes, and how long the
# background check of the image took. Results: OUT_DIR/results/{raw.tsv,env.txt,logs/}; summary printed.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNS=5 TMO=1500 L1MEM=4096 OUT="" SIZES="256 1024" FILL=0
say() { echo "bench/saverestore: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts "n:t:m:o:s:f:h" o; do
    case $o in
        n) RUNS=$OPTARG ;; t) TMO=$OPTARG ;; m) L1MEM=$OPTARG ;; o) OUT=$OPTARG ;; s) SIZES=$OPTARG ;; f) FILL=$OPTARG ;;
        *) usage ;;
    esac
done
[[ $RUNS =~ ^[0-9]+$ && $TMO =~ ^[0-9]+$ && $L1MEM =~ ^[0-9]+$ && $FILL =~ ^[0-9]+$ ]] || usage
OUT=${OUT:-/var/tmp/xenon-bench/saverestore-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
W=$OUT/work
rm -rf "$W"
mkdir -p "$W/bench"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
say "publishing src/Xenon.Cli (ReadyToRun)"
dotnet publish "$REPO/src/Xenon.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    --artifacts-path "$OUT/artifacts" -o "$W/bin" > "$OUT/publish.log" 2>&1 \
    || { tail -n 30 "$OUT/publish.log" >&2; say "dotnet publish failed"; exit 1; }
cp "$HERE/l1-bench.sh" "$W/bench/"

say "nested session: sizes $SIZES MiB, $RUNS runs each warm and cold${FILL:+, fill $FILL MiB}"
set +e
"$REPO/nested/run.sh" -t "$TMO" -m "$L1MEM" "$W" -- "bash bench/l1-bench.sh results $RUNS $FILL $SIZES" 2>&1 | tee "$OUT/session.log"
rc=${PIPESTATUS[0]}
set -e
[ -f "$W/results/raw.tsv" ] || { say "no results (nested/run.sh exit $rc); see $OUT/session.log"; exit 1; }
rm -rf "$OUT/results"
mv "$W/results" "$OUT/results"
rm -rf "$W/bin" "$OUT/artifacts"
echo
bash "$HERE/summary.sh" "$OUT/results/raw.tsv" | tee "$OUT/results/summary.txt"
say "results in $OUT/results (nested/run.sh exit $rc)"
exit "$rc"
