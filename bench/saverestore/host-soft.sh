#!/usr/bin/env bash
# host-soft.sh - the save/restore benchmark on this build host with the software CPU backend (accel = "soft"): no
# nested host, so the restore path runs at native speed and nothing of it is emulated twice (only the guest is).
# Same steps and the same log-line parsing as the nested benchmark (run.sh, l1-bench.sh), same ReadyToRun publish.
#
#   bench/saverestore/host-soft.sh [-n RUNS] [-o OUT_DIR] [-s "SIZES"] [-f FILL_MIB] [-M "MODES"] [-x XENON]
#
#   -n RUNS    recorded restores per size, cache state and mode (default 5; one more, run 0, is not recorded)
#   -o OUT_DIR where results go (default /var/tmp/xenon-bench/saverestore-soft-<UTC time>)
#   -s SIZES   guest memory sizes in MiB (default "256 1024")
#   -f FILL    also run each size with FILL MiB of random data written by the guest before the save (default 0)
#   -M MODES   "build prepared" (default): build = the domain process builds after the request, prepared =
#              `xenon restore --prepare CONFIG` first (timed apart), then `xenon restore FILE` into it
#   -x XENON   a xenon already published (skips the publish; for comparing builds)
#
# For each size: boot the default guest (a shell loop ticking once a second) on the soft CPU, save it, then per cache
# state and mode RUNS times: [cold: the save file's pages dropped from the page cache, dd iflag=nocache; the host's
# other caches stay, it is shared] [prepare] xenon restore -d FILE, wait for the next tick, destroy.
# Measured (docs/benchmarks.md, "Save and restore"): restore-to-running from the domain process's log line (from its
# taking the request: the build included in mode build; from accepting the request's connection in mode prepared) and
# its parts, the whole `xenon restore` command, and (prepared) the toolstack's own time from connecting to the answer.
# The domains are named r7sr<MiB>f<fill> and run against a private xenstored socket, run and log directories under
# OUT_DIR, so nothing of other domains on the host is touched. Results: OUT_DIR/results/{raw.tsv,env.txt,summary.txt,logs/}.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNS=5 OUT="" SIZES="256 1024" FILL=0 MODES="build prepared" XENON_BIN=""
say() { echo "bench/saverestore/host-soft: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts "n:o:s:f:M:x:h" o; do
    case $o in
        n) RUNS=$OPTARG ;; o) OUT=$OPTARG ;; s) SIZES=$OPTARG ;; f) FILL=$OPTARG ;; M) MODES=$OPTARG ;; x) XENON_BIN=$OPTARG ;;
        *) usage ;;
    esac
done
[[ $RUNS =~ ^[0-9]+$ && $FILL =~ ^[0-9]+$ ]] || usage
[ "$(id -u)" = 0 ] || { say "needs root (xenon create registers the domain and starts xenstored)"; exit 2; }
GUEST=${XENON_GUEST_DIR:-/var/cache/xenon/guest/current}
for f in vmlinuz initrd.img; do [ -f "$GUEST/$f" ] || { say "no default guest: $GUEST/$f is missing (guest/build-guest.sh)"; exit 1; }; done
command -v socat > /dev/null || command -v python3 > /dev/null || { say "needs socat or python3 to read the guest's console"; exit 1; }
OUT=${OUT:-/var/tmp/xenon-bench/saverestore-soft-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
W=$OUT/work
rm -rf "$W"
mkdir -p "$W/scratch" "$W/xenstored"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -z "$XENON_BIN" ]; then
    say "publishing src/Xenon.Cli (ReadyToRun)"
    dotnet publish "$REPO/src/Xenon.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
        --artifacts-path "$OUT/artifacts" -o "$W/bin" > "$OUT/publish.log" 2>&1 \
        || { tail -n 30 "$OUT/publish.log" >&2; say "dotnet publish failed"; exit 1; }
    XENON_BIN=$W/bin/xenon
fi

SOCKET=$W/xenstored/socket
# Stops the xenstored that the first xenon command started on this run's socket: found by its command line, ended
# by its pid (no other process is touched).
stop_xenstored() {
    local p
    for p in /proc/[0-9]*; do
        if tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -q -- "__xenstored.*$SOCKET"; then kill "${p#/proc/}" 2>/dev/null || true; fi
    done
}
trap stop_xenstored EXIT

say "sizes $SIZES MiB, $RUNS runs each warm and cold, modes $MODES$([ "$FILL" -gt 0 ] && echo ", fill $FILL MiB"); load $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
(
    cd "$W"
    export XENSTORED_PATH=$SOCKET XENON_RUN_DIR=$W/run XENON=$XENON_BIN \
        BENCH_GUEST=$GUEST BENCH_ACCEL=soft BENCH_NAME_PREFIX=r7sr BENCH_DROP=file BENCH_SCRATCH=$W/scratch BENCH_MODES="$MODES"
    # shellcheck disable=SC2086 # SIZES is a list
    bash "$HERE/l1-bench.sh" "$W/results" "$RUNS" "$FILL" $SIZES
) 2>&1 | tee "$OUT/session.log"
rc=${PIPESTATUS[0]}
set -e
[ -f "$W/results/raw.tsv" ] || { say "no results (exit $rc); see $OUT/session.log"; exit 1; }
rm -rf "$OUT/results"
mv "$W/results" "$OUT/results"
rm -rf "$W/scratch" "$OUT/artifacts"
echo
bash "$HERE/summary.sh" "$OUT/results/raw.tsv" | tee "$OUT/results/summary.txt"
say "results in $OUT/results (exit $rc); load now $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$rc"
