#!/usr/bin/env bash
# run.sh - I/O benchmark: fio and iperf3 on the nested host itself, in a QEMU/KVM guest and in a
# Xenon guest, in one nested host session (nested/run.sh), same guest, disk file and job list.
#
#   bench/io/run.sh [-o TARGETS] [-j JOBS] [-r SECS] [-n ROUNDS] [-a AIO] [-c CACHE] [-m MiB] [-t SECS]
#                   [-d DIR] [-x LABEL:SPEC]... [-s SCENARIOS] [-P]
#
#   -o TARGETS  comma list of host,qemu,xenon (default all three, in that order)
#   -j JOBS     comma list of job names from jobs.sh, or the groups fio and net (default all):
#               seqread-1m-qd16 seqwrite-1m-qd16 randread-4k-qd32 randwrite-4k-qd32
#               randread-4k-qd1 randwrite-4k-qd1 iperf-g2h iperf-h2g
#   -r SECS     fio runtime (after a 2 s ramp) and iperf3 duration per job (default 10)
#   -n ROUNDS   run every target (and -x variant) ROUNDS times, the order reversed every second
#               round; the summary gives each cell's median and a per-round table (default 1).
#               On a loaded host the rounds are what makes xenon/qemu comparable
#   -a AIO      QEMU's aio= for the disk: io_uring, threads, native or auto (default auto:
#               io_uring when the nested host's QEMU accepts it, else threads; env.txt says which)
#   -c CACHE    QEMU's cache= for the disk (default none). Xenon's disk follows it: direct-io-safe
#               (O_DIRECT) with none or directsync, the page cache otherwise
#   -m MiB      guest memory (default 512); 1 vCPU (the nested host has one)
#   -t SECS     time limit for the whole nested session (default 1080 per round; a wedged nested host
#               is only ended by nested/run.sh 120 s after it)
#   -d DIR      results directory (default bench/io/results/<UTC date>, -2, -3... if taken)
#   -x LABEL:SPEC  one more Xenon run, target xenon-LABEL, after the others (repeatable). SPEC is a
#               '+' list of VAR=VALUE (environment of the xenon process, e.g. XENON_NET_TX_COALESCE_US=200),
#               disk=OPTS (the disk spec's cache options instead of the default: direct-io-safe or
#               buffered) and jobs=J1:J2 (job names or fio/net; default every job)
#   -P          probe: sample the nested host's CPU (vmstat) and every VMM thread's CPU ticks and
#               system call while each VM runs, into DIR/logs/<target>-{vmstat,threads}.log
#   -s SCENARIOS   full-system scenarios (tests/Xenon.System.Tests/scenarios, space or comma list) to
#               run in the same nested session after the benchmark (needs the xenon target);
#               results in DIR/scenarios/NAME.{out,rc,time}
#
# Builds the bench guest (guest/build-bench-guest.sh) and, for xenon, publishes the CLI
# (ReadyToRun, framework-dependent, as bench/boot found fastest). Results: DIR/{summary.md,
# summary.json,status.tsv,env.txt,session.log,host/,qemu/,xenon/,logs/} with the raw fio and
# iperf3 JSON per target. Must run as root (nested/run.sh does). See docs/benchmarks.md.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=jobs.sh
. "$HERE/jobs.sh"
TARGETS=host,qemu,xenon JOBS="" RT=10 AIO=auto CACHE=none MEM=512 TMO="" RES="" VARIANTS=() SCEN="" ROUNDS=1 PROBE=0
say() { echo "bench/io: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts "o:j:r:n:a:c:m:t:d:x:s:Ph" o; do
    case $o in
        o) TARGETS=$OPTARG ;; j) JOBS=$OPTARG ;; r) RT=$OPTARG ;; n) ROUNDS=$OPTARG ;; a) AIO=$OPTARG ;; c) CACHE=$OPTARG ;; m) MEM=$OPTARG ;;
        t) TMO=$OPTARG ;; d) RES=$OPTARG ;; x) VARIANTS+=("$OPTARG") ;; s) SCEN=${OPTARG//,/ } ;; P) PROBE=1 ;; *) usage ;;
    esac
done
[ $OPTIND -gt $# ] || usage
[[ $RT =~ ^[0-9]+$ && $MEM =~ ^[0-9]+$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || usage
[ -n "$TMO" ] || TMO=$(( 1080 * ROUNDS ))
[[ $TMO =~ ^[0-9]+$ ]] || usage
case $AIO in io_uring|threads|native|auto) ;; *) usage ;; esac
case $CACHE in none|writeback|writethrough|directsync|unsafe) ;; *) usage ;; esac
[ "$(id -u)" = 0 ] || { say "must run as root (nested/run.sh, apt-get)"; exit 1; }

# targets and jobs: validated and expanded here, so the nested session starts only on good input
IFS=, read -r -a tl <<<"$TARGETS"
for t in "${tl[@]}"; do case $t in host|qemu|xenon) ;; *) say "unknown target '$t'"; usage ;; esac; done
jl=()
IFS=, read -r -a req <<<"${JOBS:-fio,net}"
for j in "${req[@]}"; do
    case $j in
        fio) read -r -a g <<<"$IO_FIO_JOBS"; jl+=("${g[@]}") ;;
        net) read -r -a g <<<"$IO_NET_JOBS"; jl+=("${g[@]}") ;;
        *) io_job_kind "$j" >/dev/null || { say "unknown job '$j'"; usage; }; jl+=("$j") ;;
    esac
done
JOBS=$(IFS=,; echo "${jl[*]}")
# Xenon variants: "LABEL SPEC" lines for l1-io.sh, checked here
VARLINES=""
for v in "${VARIANTS[@]}"; do
    label=${v%%:*}; spec=${v#*:}
    [ "$spec" = "$v" ] && spec=""
    [[ $label =~ ^[a-z0-9][a-z0-9-]*$ ]] || { say "bad variant label '$label' (lower-case letters, digits, -)"; usage; }
    IFS=+ read -r -a items <<<"$spec"
    for it in "${items[@]}"; do
        case $it in
            disk=direct-io-safe|disk=buffered) ;;
            jobs=*) IFS=: read -r -a vj <<<"${it#jobs=}"
                    for j in "${vj[@]}"; do case $j in fio|net) ;; *) io_job_kind "$j" >/dev/null || { say "variant $label: unknown job '$j'"; usage; } ;; esac; done ;;
            [A-Za-z_]*=*) [[ ${it%%=*} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { say "variant $label: bad variable in '$it'"; usage; } ;;
            *) say "variant $label: cannot use '$it'"; usage ;;
        esac
    done
    VARLINES+="$label $spec"$'\n'
done
if [ -n "$VARLINES" ] || [ -n "$SCEN" ]; then
    case ",$TARGETS," in *,xenon,*) ;; *) say "-x and -s need the xenon target"; usage ;; esac
fi

if [ -z "$RES" ]; then
    RES=$HERE/results/$(date -u +%F)
    n=2; base=$RES
    while [ -e "$RES" ]; do RES=$base-$n; n=$((n + 1)); done
fi
mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
SCRATCH=/var/tmp/xenon-bench/io-$(date -u +%Y%m%dT%H%M%SZ)
W=$SCRATCH/work
mkdir -p "$W/bench"
trap 'rm -rf "$SCRATCH"' EXIT

ensure_jq() {
    command -v jq >/dev/null && return 0
    say "installing jq (summary)"
    apt-get install -y -qq --no-install-recommends jq >/dev/null || { say "apt-get install jq failed"; exit 1; }
}
ensure_jq

# ------------------------------------------------------------------ inputs
BG=$(bash "$REPO/guest/build-bench-guest.sh") || { say "guest/build-bench-guest.sh failed"; exit 1; }
cp "$HERE/l1-io.sh" "$HERE/jobs.sh" "$W/bench/"
printf '%s' "$VARLINES" > "$W/bench/variants.txt"
if [ -n "$SCEN" ]; then
    mkdir -p "$W/scen"
    cp -r "$REPO/tests/Xenon.System.Tests/scenarios" "$W/scen/"
    cp "$REPO/tests/Xenon.System.Tests/Nested/run-scenarios.sh" "$W/scen/"
fi
cp "$BG/bench-initrd.img" "$W/bench/"
cp "$BG/version" "$W/bench/guest-version"
{
    echo "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
         "$(git -C "$REPO" status --porcelain 2>/dev/null | wc -l) files changed in the work tree"
    echo "bench guest $(basename "$BG")"
} > "$W/bench/source.txt"
mkdir -p "$W/bench/tools"
gzip -dc "$BG/tools.cpio.gz" | (cd "$W/bench/tools" && cpio -idm --quiet)

case ",$TARGETS," in *,xenon,*)
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    say "publishing src/Xenon.Cli (ReadyToRun)"
    # own artifacts path: other builds of the tree may be running at the same time
    dotnet publish "$REPO/src/Xenon.Cli" -c Release --artifacts-path "$SCRATCH/artifacts" -o "$W/bench/bin" \
        -r linux-x64 --self-contained false -p:PublishReadyToRun=true > "$SCRATCH/publish.log" 2>&1 \
        || { tail -n 30 "$SCRATCH/publish.log" >&2; say "dotnet publish failed"; exit 1; }
    ;;
esac

# ------------------------------------------------------------------ run in the nested host
say "nested session: targets $TARGETS; jobs $JOBS; ${RT} s each; $ROUNDS round(s); results in $RES"
# A wedged nested host (seen here: L1 stops for good at 0% CPU, under disk load) would hold the
# session until nested/run.sh's own limit. l1-io.sh prints a line at least once per job, so
# STALL seconds of silence mean a wedge: ending L1's QEMU through the timeout(1) nested/run.sh
# started it under lets nested/run.sh copy back what l1-io.sh had synced (each finished job).
STALL=$(( 3 * (RT + IO_RAMP_S) + 300 ))
# L1 memory: its tmpfs root, the RAM-backed disk (l1-io.sh), the guest and its VMM, and the page
# cache Xenon's buffered disk I/O fills
L1_MIB=$(( 2048 + 2 * IO_DISK_MIB + MEM ))
LOG=$RES/session.log
L1CMD="bash bench/l1-io.sh results '$TARGETS' '$JOBS' '$RT' '$AIO' '$ROUNDS'"
# scenarios after the bench, in the same boot; the session's status stays the bench's
[ -n "$SCEN" ] && L1CMD="$L1CMD; rc=\$?; SCENARIO_TIMEOUT=400 GUEST_DIR=/opt/guest XENON=/work/bench/bin/xenon \
    bash scen/run-scenarios.sh scen/scenarios results/scenarios $SCEN; exit \$rc"
"$REPO/nested/run.sh" -t "$TMO" -m "$L1_MIB" -e "BENCH_MEM=$MEM" -e "BENCH_QEMU_CACHE=$CACHE" -e "BENCH_PROBE=$PROBE" "$W" -- \
    "$L1CMD" > "$LOG" 2>&1 &
NPID=$!
tail -n +1 -s 0.5 -f --pid="$NPID" "$LOG" &
TPID=$!
ended=0
while kill -0 "$NPID" 2>/dev/null; do
    sleep 5
    quiet=$(( $(date +%s) - $(stat -c %Y "$LOG") ))
    if [ "$ended" = 0 ] && [ "$quiet" -gt "$STALL" ]; then
        say "no output for $quiet s: the nested host is wedged; ending it (partial results follow)"
        for p in $(pgrep -P "$NPID" -x timeout); do kill -TERM "$p" 2>/dev/null || true; done
        ended=1
    fi
done
set +e
wait "$NPID"
rc=$?
wait "$TPID"
set -e
[ -f "$W/results/status.tsv" ] || { say "no results (nested/run.sh exit $rc); see $RES/session.log"; exit 1; }
cp -a "$W/results/." "$RES/"
echo
"$HERE/summarize.sh" "$RES"
say "results in $RES (nested/run.sh exit $rc)"
exit "$rc"
