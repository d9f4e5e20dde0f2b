#!/usr/bin/env bash
# run-scenarios.sh - runs full-system scenario scripts one after another, each under its own
# time limit, and records each one's output, exit status and duration:
#   RESULTS/NAME.out  stdout+stderr    RESULTS/NAME.rc  exit status (124 = timed out)
#   RESULTS/NAME.time seconds          RESULTS/NAME.scratch/  the scenario's scratch directory
#
#   run-scenarios.sh SCENARIO_DIR RESULTS_DIR [NAME...]     (default: every SCENARIO_DIR/*.sh
#                                                           whose name does not start with _)
# Env passed on to each scenario: XENON (the xenon command, may be "dotnet .../xenon.dll"),
# XENON_UNAVAILABLE (why there is no XENON), GUEST_DIR (vmlinuz, initrd.img), SCRATCH, SCENARIO_DIR.
# SCENARIO_TIMEOUT (seconds, default 600). SCENARIO_BUDGET (seconds for the whole run, default
# unlimited): a scenario gets at most what is left of it, and one that would start with less than
# 30 s left is not run and recorded as timed out, so a run that goes wrong still ends in time and
# says which scenarios it did not reach. Each result is synced to disk as it is written: if the
# nested host is stopped from outside, the finished scenarios' results survive. Runs directly on a
# host with hardware KVM, or inside the nested host through nested/run.sh.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: run-scenarios.sh SCENARIO_DIR RESULTS_DIR [NAME...]" >&2; exit 2; }
SCENARIO_DIR=$(cd "$1" && pwd)
RESULTS=$2
shift 2
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
TMO=${SCENARIO_TIMEOUT:-600}
BUDGET=${SCENARIO_BUDGET:-0}
[[ $TMO =~ ^[0-9]+$ ]] && [[ $BUDGET =~ ^[0-9]+$ ]] || { echo "run-scenarios: SCENARIO_TIMEOUT and SCENARIO_BUDGET must be whole seconds" >&2; exit 2; }
deadline=0
[ "$BUDGET" -gt 0 ] && deadline=$(( EPOCHSECONDS + BUDGET ))
export SCENARIO_DIR XENON="${XENON:-}" XENON_UNAVAILABLE="${XENON_UNAVAILABLE:-}" GUEST_DIR="${GUEST_DIR:?GUEST_DIR must be set}"

# A relative XENON ("./xenon/xenon") is relative to where we were started.
case $XENON in ./*) XENON=$PWD/${XENON#./} ;; esac

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$SCENARIO_DIR"/*.sh; do
        b=$(basename "$f" .sh)
        case $b in _*) ;; *) names+=("$b") ;; esac
    done
fi

# KVM's shutdown exits (a guest's triple fault), traced as KVM takes them: on AMD it resets the vCPU before user
# space sees the exit, so the registers a domain reads afterwards are the reset state and this trace line (guest rip,
# exit info) is the only record of where the guest was. Filtered in the kernel to SVM's SHUTDOWN (0x7f) and VMX's
# TRIPLE_FAULT (2) exits.
kvmtrace=
tracefs=/sys/kernel/tracing
if [ -e /dev/kvm ] && [ -w / ]; then
    [ -e "$tracefs/events/kvm/kvm_exit/filter" ] || mount -t tracefs nodev "$tracefs" 2>/dev/null || true
    if [ -w "$tracefs/events/kvm/kvm_exit/filter" ] \
        && echo '(isa == 2 && exit_reason == 127) || (isa == 1 && exit_reason == 2)' > "$tracefs/events/kvm/kvm_exit/filter" 2>/dev/null \
        && echo 1 > "$tracefs/events/kvm/kvm_exit/enable" 2>/dev/null; then
        kvmtrace=$tracefs
        : > "$tracefs/trace"
    fi
fi

echo "run-scenarios: $(nproc) CPU(s), $(uname -r), /dev/kvm: $([ -c /dev/kvm ] && echo yes || echo no), ${#names[@]} scenario(s)${kvmtrace:+, KVM shutdown exits traced}"
# The nested host's own fault (docs/testing.md): a guest shut down while a #PF with the error code "instruction
# fetch, not present" was delivered at a kernel address. It comes from the TCG-emulated SVM under L1, about one run
# in six of the migrate scenario, not from the scenario's subject; a scenario that met it runs once more (its first
# output kept as NAME.first.out, and the second output says so). Met twice, it fails as it is.
l0_fault='reason shutdown .* intr_info 0x80000b0e error_code 0x00000010'
for n in "${names[@]}"; do
    f=$SCENARIO_DIR/$n.sh
    rm -f "$RESULTS/$n.first.out"; rm -rf "$RESULTS/$n.first.scratch"
    for attempt in 1 2; do
    export SCRATCH=$RESULTS/$n.scratch
    rm -rf "$SCRATCH"; mkdir -p "$SCRATCH"
    start=${EPOCHREALTIME/,/.}
    rc=0
    limit=$TMO
    if [ "$deadline" -gt 0 ]; then
        left=$(( deadline - EPOCHSECONDS ))
        [ "$left" -lt "$limit" ] && limit=$left
    fi
    if [ "$limit" -lt 30 ]; then
        echo "run-scenarios: $n not started: the run's ${BUDGET}s budget was used up by the scenarios before it" > "$RESULTS/$n.out"
        rc=124
    elif [ -f "$f" ]; then
        timeout -k 10 "$limit" bash "$f" </dev/null >"$RESULTS/$n.out" 2>&1 || rc=$?
        [ "$rc" = 124 ] && echo "run-scenarios: $n exceeded its ${limit}s limit" >> "$RESULTS/$n.out"
    else
        echo "run-scenarios: no scenario $f" > "$RESULTS/$n.out"; rc=127
    fi
    if [ -n "$kvmtrace" ] && grep -qv '^#' "$kvmtrace/trace" 2>/dev/null; then
        { echo "run-scenarios: KVM shutdown / triple-fault exits during $n (kernel trace, kvm:kvm_exit):"; grep -v '^#' "$kvmtrace/trace" | tail -n 20; } >> "$RESULTS/$n.out"
        : > "$kvmtrace/trace"
    fi
    if [ "$attempt" = 1 ] && grep -q "$l0_fault" "$RESULTS/$n.out"; then
        echo "run-scenarios: $n exit $rc" >> "$RESULTS/$n.out"
        mv "$RESULTS/$n.out" "$RESULTS/$n.first.out"
        mv "$SCRATCH" "$RESULTS/$n.first.scratch"
        echo "run-scenarios: $n met the nested host's fault (exit $rc); running it again"
        continue
    fi
    if [ "$attempt" = 2 ]; then
        echo "run-scenarios: ran again: the first run (exit status and output in $n.first.out) met the nested host's fault, a guest shut down delivering a #PF (fetch, not present): docs/testing.md" >> "$RESULTS/$n.out"
    fi
    break
    done
    end=${EPOCHREALTIME/,/.}
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    echo "$rc" > "$RESULTS/$n.rc"
    echo "$secs" > "$RESULTS/$n.time"
    sync
    echo "run-scenarios: $n exit $rc in ${secs}s"
done
