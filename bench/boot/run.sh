#!/usr/bin/env bash
# run.sh - boot benchmark: Xenon vs QEMU/KVM (-M microvm, -M q35), side by side in one nested
# host session (nested/run.sh), same guest kernel, initramfs, memory, vCPUs and command line.
#
#   bench/boot/run.sh [-n RUNS] [-w WARMUPS] [-t SECS] [-o OUT_DIR] [-V "VMM..."] [-a APPEND] [-b BASE_DIR] [-x PRE_DIR]
#
#   -n RUNS     recorded boots per VMM (default 10), interleaved round-robin
#   -w WARMUPS  unrecorded rounds first (default 1: the first start of each binary reads it
#               from the nested host's virtio disk)
#   -t SECS     time limit for the whole session inside the nested host (default 1500)
#   -o OUT_DIR  where results go (default /var/tmp/xenon-bench/boot-<UTC time>)
#   -V VMMS     default "xenon-aot xenon-r2r qemu-microvm qemu-q35"; also xenon-jit; any of them with -pvh appended
#               (xenon-aot-pvh, qemu-microvm-pvh, base-aot-pvh) boots the guest's vmlinux through PVH; the startup floors
#               (xenon-aot-help, xenon-r2r-help, xenon-jit-help, qemu-version) may be listed too, to run them alone
#   -a APPEND   guest command line for every VMM instead of "console=ttyS0 quiet -- true"; for
#               diagnosis only, e.g. "console=ttyS0 quiet initcall_debug -- dmesg" (not the benchmark)
#   -b BASE_DIR a directory holding an already built `xenon` (e.g. NativeAOT from the tree before a change):
#               run as the VMM base-aot, which is added to the list, for a before/after in one run
#   -x PRE_DIR  copy PRE_DIR into the session as pre/ and run `bash pre/run.sh results/pre` there (from the
#               work directory, where bin-*/ and bench/ are) before the benchmark, in the same nested-host
#               session: scenarios or traced boots batched into one boot of the nested host. Its output and
#               whatever it writes to its argument end up in OUT_DIR/results/pre/
#
# Publishes the CLI once per Xenon variant listed: NativeAOT (bin-aot, -p:XenonAot=true), and
# framework-dependent ReadyToRun (bin-r2r) or plain IL (bin-jit), so one run compares how each
# starts in the nested host; the one with the lower median t_init is "xenon" in the ratios.
# Results: OUT_DIR/results/{raw.tsv,env.txt,summary.json,summary.md,logs/}.
# Env: BENCH_PUBLISH_ARGS, extra `dotnet publish` arguments for every Xenon variant (e.g.
# "-p:IlcTreatWarningsAsErrors=false" while a library has an AOT warning the KVM path never reaches).
# Must run as root (nested/run.sh does). See docs/benchmarks.md.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNS=10 WARM=1 TMO=1500 OUT="" VMMS="xenon-aot xenon-r2r qemu-microvm qemu-q35" APPEND="" BASE="" PRE=""
say() { echo "bench/boot: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts "n:w:t:o:V:a:b:x:h" o; do
    case $o in
        n) RUNS=$OPTARG ;; w) WARM=$OPTARG ;; t) TMO=$OPTARG ;; o) OUT=$OPTARG ;; V) VMMS=$OPTARG ;; a) APPEND=$OPTARG ;;
        b) BASE=$(cd "$OPTARG" && pwd) && [ -x "$BASE/xenon" ] || { say "-b: no executable xenon in $OPTARG"; exit 2; } ;;
        x) PRE=$(readlink -f "$OPTARG") && [ -f "$PRE/run.sh" ] || { say "-x: no $OPTARG/run.sh"; exit 2; } ;;
        *) usage ;;
    esac
done
[[ $RUNS =~ ^[0-9]+$ && $WARM =~ ^[0-9]+$ && $TMO =~ ^[0-9]+$ ]] || usage
OUT=${OUT:-/var/tmp/xenon-bench/boot-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
W=$OUT/work
rm -rf "$W"
mkdir -p "$W/bench"

# ------------------------------------------------------------------ publish
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Own artifacts path: other builds of the tree may be running at the same time.
publish() {
    local dest=$1; shift
    say "publishing src/Xenon.Cli -> $dest $*"
    # shellcheck disable=SC2086  # BENCH_PUBLISH_ARGS is a word list
    dotnet publish "$REPO/src/Xenon.Cli" -c Release --artifacts-path "$OUT/artifacts" -o "$dest" "$@" ${BENCH_PUBLISH_ARGS:-} \
        > "$OUT/publish-$(basename "$dest").log" 2>&1 \
        || { tail -n 30 "$OUT/publish-$(basename "$dest").log" >&2; say "dotnet publish failed"; exit 1; }
}
case " $VMMS " in *" xenon-aot"*)
    publish "$W/bin-aot" -r linux-x64 -p:XenonAot=true ;;
esac
case " $VMMS " in *" xenon-r2r"*)
    publish "$W/bin-r2r" -r linux-x64 --self-contained false -p:PublishReadyToRun=true ;;
esac
case " $VMMS " in *" xenon-jit"*)
    publish "$W/bin-jit" ;;
esac
cp "$HERE/l1-bench.sh" "$HERE/probe.sh" "$W/bench/"
if [ -n "$BASE" ]; then
    cp -r "$BASE" "$W/bin-base-aot"
    case " $VMMS " in *" base-aot "*) ;; *) VMMS="$VMMS base-aot" ;; esac
fi
[ -n "$PRE" ] && cp -r "$PRE" "$W/pre"

# ------------------------------------------------------------------ run in the nested host
say "nested session: $RUNS runs (+$WARM warm-up) each of: $VMMS"
# shellcheck disable=SC2086  # VMMS is a word list
cmd="bash bench/l1-bench.sh results $RUNS $WARM $VMMS"
[ -n "$PRE" ] && cmd="mkdir -p results/pre && { bash pre/run.sh results/pre > results/pre/output.log 2>&1; echo \"bench/boot: pre-script exit \$?\"; }; $cmd"
ENVS=()
[ -n "$APPEND" ] && ENVS=(-e "BENCH_APPEND=$APPEND")
set +e
"$REPO/nested/run.sh" -t "$TMO" "${ENVS[@]}" "$W" -- "$cmd" 2>&1 | tee "$OUT/session.log"
rc=${PIPESTATUS[0]}
set -e
[ -f "$W/results/raw.tsv" ] || { say "no results (nested/run.sh exit $rc); see $OUT/session.log"; exit 1; }
rm -rf "$OUT/results"
mv "$W/results" "$OUT/results"
rm -rf "$W/bin-aot" "$W/bin-r2r" "$W/bin-jit" "$W/bin-base-aot" "$W/pre" "$OUT/artifacts"
echo
"$HERE/summarize.sh" "$OUT/results"
say "results in $OUT/results (nested/run.sh exit $rc)"
exit "$rc"
