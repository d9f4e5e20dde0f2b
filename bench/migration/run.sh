#!/usr/bin/env bash
# run.sh - live migration benchmark: Xenon (xenon migrate / migrate-receive) and QEMU/KVM (migrate / -incoming) side
# by side in one nested host session (nested/run.sh), same guest kernel, initramfs, command line and memory,
# between two network namespaces joined by a veth, idle and while the guest dirties memory.
#
#   bench/migration/run.sh [-n RUNS] [-t SECS] [-m L1_MIB] [-o OUT_DIR] [-s "SIZES"] [-V "VMMS"]
#
#   -n RUNS    migrations per VMM, size and workload (back and forth; default 3)
#   -t SECS    time limit inside the nested host (default 3000)
#   -m L1_MIB  nested host memory (default 4096: two copies of a 1 GiB guest during a migration)
#   -o OUT_DIR where results go (default /var/tmp/xenon-bench/migration-<UTC time>)
#   -s SIZES   guest memory sizes in MiB (default "256 1024")
#   -V VMMS    default "xenon qemu"
#
# Env: BENCH_XENON_PREPARE=1 (default) prepares the Xenon receiver (migrate-receive --prepare CFG: the destination is
# built before the migration starts, as QEMU's -incoming destination is; rows say xenon-prepared); 0 lets it build
# when the stream's configuration arrives (rows say xenon).
#
# Measured per migration: downtime as each VMM reports it (Xenon: from the source's pause until the destination
# reported the guest running; QEMU: info migrate), total time (Xenon: from the request until the destination
# reported running; QEMU: info migrate), bytes sent, and the longest run of ping replies a peer on the hosts' shared
# network did not get (every 10 ms: a downtime seen from outside, at 10 ms resolution, for both). Results:
# OUT_DIR/results/{raw.tsv,env.txt,logs/}; the summary (medians) is printed. Must run as root. See docs/benchmarks.md.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNS=3 TMO=3000 L1MEM=4096 OUT="" SIZES="256 1024" VMMS="xenon qemu"
say() { echo "bench/migration: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts "n:t:m:o:s:V:h" o; do
    case $o in
        n) RUNS=$OPTARG ;; t) TMO=$OPTARG ;; m) L1MEM=$OPTARG ;; o) OUT=$OPTARG ;; s) SIZES=$OPTARG ;; V) VMMS=$OPTARG ;;
        *) usage ;;
    esac
done
[[ $RUNS =~ ^[0-9]+$ && $TMO =~ ^[0-9]+$ && $L1MEM =~ ^[0-9]+$ ]] || usage
[ "$(id -u)" = 0 ] || { say "must run as root (nested/run.sh)"; exit 1; }
OUT=${OUT:-/var/tmp/xenon-bench/migration-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
W=$OUT/work
rm -rf "$W"
mkdir -p "$W/bench"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -n "${BENCH_BIN:-}" ]; then
    cp -a "$BENCH_BIN" "$W/bin"
else
    say "publishing src/Xenon.Cli (ReadyToRun)"
    dotnet publish "$REPO/src/Xenon.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
        --artifacts-path "$OUT/artifacts" -o "$W/bin" > "$OUT/publish.log" 2>&1 \
        || { tail -n 30 "$OUT/publish.log" >&2; say "dotnet publish failed"; exit 1; }
fi
cp "$HERE/l1-bench.sh" "$W/bench/"
echo "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown), $(git -C "$REPO" status --porcelain 2>/dev/null | wc -l) files changed in the work tree" > "$W/bench/source.txt"

say "nested session: sizes $SIZES MiB, $RUNS migrations each, idle and dirtying: $VMMS"
set +e
"$REPO/nested/run.sh" -t "$TMO" -m "$L1MEM" "$W" -- \
    "BENCH_XENON_PREPARE=${BENCH_XENON_PREPARE:-1} XENON=/work/bin/xenon bash bench/l1-bench.sh results $RUNS '$SIZES' '$VMMS'" 2>&1 | tee "$OUT/session.log"
rc=${PIPESTATUS[0]}
set -e
[ -f "$W/results/raw.tsv" ] || { say "no results (nested/run.sh exit $rc); see $OUT/session.log"; exit 1; }
rm -rf "$OUT/results"
mv "$W/results" "$OUT/results"
cp "$W/bench/source.txt" "$OUT/results/"
rm -rf "$W/bin" "$OUT/artifacts"
echo
"$HERE/summarize.sh" "$OUT/results"
say "results in $OUT/results (nested/run.sh exit $rc)"
exit "$rc"
