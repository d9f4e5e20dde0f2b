#!/usr/bin/env bash
# selftest.sh - checks probe.sh and summarize.sh on the host, without KVM or the nested host:
# a fake VMM (a bash script printing the guest's markers) for the probe, and a hand-made raw.tsv
# with known statistics for the summary. Prints what differs and exits 1 on any failure.
set -uo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/boot-selftest.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
check() {  # DESCRIPTION CONDITION...
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
# shellcheck source=probe.sh
. "$HERE/probe.sh"

# ---------------------------------------------------------------- probe: a normal boot
cat > "$T/vmm.sh" <<'EOF'
echo "Parsing config from x.cfg"
sleep 0.2; printf 'XENON-INIT-OK\r\n'
sleep 0.2; echo "XENON-MODS-OK"
sleep 0.2; echo "XENON-CMD-RC 0"
exit "${1:-0}"
EOF
probe_run "$T/ok.log" 262144 bash "$T/vmm.sh" 0
check "exit status 0 recorded" [ "$P_RC" = 0 ]
check "first line before INIT-OK ($P_FIRST < $P_INIT)" [ -n "$P_FIRST" ] && [ "$P_FIRST" -lt "$P_INIT" ]
check "INIT-OK about 0.2 s after the first line" [ $((P_INIT - P_FIRST)) -ge 150000 ] && [ $((P_INIT - P_FIRST)) -lt 1000000 ]
check "INIT < MODS < EXIT ($P_INIT, $P_MODS, $P_EXIT)" [ "$P_INIT" -lt "$P_MODS" ] && [ "$P_MODS" -lt "$P_EXIT" ]
check "memory sampled at MODS-OK (VmRSS=$P_VMRSS, VMAs=$P_VMAS)" [ -n "$P_VMRSS" ] && [ "$P_VMRSS" -gt 0 ] && [ "$P_VMAS" -gt 0 ]
check "no VMA of the guest's size in bash: no guest-RAM figure" [ -z "$P_RAM_RSS" ] && [ "$P_RAM_VMAS" = 0 ]
check "log lines carry their time" grep -q '^+0\.[0-9]\{6\} XENON-INIT-OK' "$T/ok.log"

# ---------------------------------------------------------------- probe: failures
probe_run "$T/rc.log" 262144 bash "$T/vmm.sh" 3
check "non-zero exit status passed through (got $P_RC)" [ "$P_RC" = 3 ]
PROBE_IDLE_S=1 probe_run "$T/hang.log" 262144 bash -c 'echo XENON-INIT-OK; exec sleep 30'
check "silent VMM killed after PROBE_IDLE_S: rc 124 (got $P_RC, exit ${P_EXIT}us)" [ "$P_RC" = 124 ] && [ "$P_EXIT" -lt 5000000 ]
check "the kill is logged" grep -q 'no output for 1s' "$T/hang.log"
probe_run "$T/none.log" 262144 /nonexistent/vmm
check "a VMM that cannot start: rc 127, no markers" [ "$P_RC" = 127 ] && [ -z "$P_INIT" ]

# ---------------------------------------------------------------- probe: guest-RAM mapping
if command -v python3 >/dev/null; then
    # 64 MiB mapping, 16 MiB of it touched
    probe_run "$T/ram.log" 65536 python3 -c '
import mmap, time
m = mmap.mmap(-1, 64 << 20)
for i in range(0, 16 << 20, 4096): m[i] = 1
print("XENON-INIT-OK", flush=True); print("XENON-MODS-OK", flush=True); time.sleep(0.3)'
    check "guest-RAM Rss is the touched 16 MiB (got ${P_RAM_RSS:-none} KiB, $P_RAM_VMAS VMA(s), $P_RAM_NAME)" \
        [ "${P_RAM_RSS:-0}" -ge 16384 ] && [ "${P_RAM_RSS:-0}" -lt 17408 ] && [ "$P_RAM_VMAS" = 1 ]
    check "VmRSS includes the guest RAM ($P_VMRSS >= $P_RAM_RSS)" [ "$P_VMRSS" -ge "${P_RAM_RSS:-0}" ]
else
    echo "skip guest-RAM mapping check: no python3 to make a mapping of known size"
fi

# ---------------------------------------------------------------- summary
R=$T/res
mkdir -p "$R"
{
    printf 'vmm\tround\twarmup\trc\tt_first_us\tt_init_us\tt_mods_us\tt_exit_us\tpause_us\tvmrss_kib\trss_anon_kib\trss_file_kib\trss_shmem_kib\tram_rss_kib\tram_vmas\tram_backing\tvmas\n'
    # warm-up: ignored in the statistics
    printf 'xenon-r2r\t0\t1\t0\t1\t99000000\t1\t99000000\t0\t1\t1\t1\t1\t1\t1\tm\t1\n'
    # xenon-r2r: t_init 4, 2, 3 s -> median 3; VmRSS 200/210/190 MiB, guest RAM 100 MiB -> beyond 100/110/90
    printf 'xenon-r2r\t1\t0\t0\t1000000\t4000000\t4500000\t5000000\t100\t204800\t0\t0\t204800\t102400\t1\tmemfd\t10\n'
    printf 'xenon-r2r\t2\t0\t0\t1000000\t2000000\t2500000\t3000000\t100\t215040\t0\t0\t215040\t102400\t1\tmemfd\t10\n'
    printf 'xenon-r2r\t3\t0\t0\t1000000\t3000000\t3500000\t4000000\t100\t194560\t0\t0\t194560\t102400\t1\tmemfd\t10\n'
    # a failed boot: counted, not averaged
    printf 'xenon-r2r\t4\t0\t124\t1000000\t\t\t9000000\t0\t\t\t\t\t\t\t\t\n'
    # xenon-jit slower: not the one in the ratios
    printf 'xenon-jit\t1\t0\t0\t1000000\t5000000\t5500000\t6000000\t100\t204800\t0\t0\t204800\t102400\t1\tmemfd\t10\n'
    # qemu-microvm: t_init 1, 2 -> median 1.5; beyond guest 50 MiB
    printf 'qemu-microvm\t1\t0\t0\t500000\t1000000\t1500000\t2000000\t100\t153600\t153600\t0\t0\t102400\t1\tanon\t10\n'
    printf 'qemu-microvm\t2\t0\t0\t500000\t2000000\t2500000\t3000000\t100\t153600\t153600\t0\t0\t102400\t1\tanon\t10\n'
    printf 'xenon-r2r-help\t1\t0\t0\t700000\t\t\t800000\t0\t\t\t\t\t\t\t\t\n'
} > "$R/raw.tsv"
echo "date: 2026-11-22T00:00:00Z" > "$R/env.txt"
"$HERE/summarize.sh" "$R" > "$T/summary.out" 2>&1
check "summarize.sh succeeds" [ $? = 0 ]
J=$R/summary.json
if command -v jq >/dev/null; then
    jqv() { jq -r "$1" "$J"; }
    check "JSON parses" jq -e . "$J" >/dev/null
    check "faster variant chosen as xenon (got $(jqv .xenon))" [ "$(jqv .xenon)" = xenon-r2r ]
    check "median of 3 (got $(jqv '.vmms["xenon-r2r"].metrics.t_init_s.median'))" [ "$(jqv '.vmms["xenon-r2r"].metrics.t_init_s.median')" = 3 ]
    check "median of 2 is their mean (got $(jqv '.vmms["qemu-microvm"].metrics.t_init_s.median'))" [ "$(jqv '.vmms["qemu-microvm"].metrics.t_init_s.median')" = 1.5 ]
    check "warm-up and failure excluded (ok=$(jqv '.vmms["xenon-r2r"].ok') failed=$(jqv '.vmms["xenon-r2r"].failed'))" \
        [ "$(jqv '.vmms["xenon-r2r"].ok')" = 3 ] && [ "$(jqv '.vmms["xenon-r2r"].failed')" = 1 ] && [ "$(jqv '.vmms["xenon-r2r"].warmups')" = 1 ]
    check "RSS beyond guest = VmRSS - guest RAM (median $(jqv '.vmms["xenon-r2r"].metrics.rss_beyond_guest_mib.median'))" \
        [ "$(jqv '.vmms["xenon-r2r"].metrics.rss_beyond_guest_mib.median')" = 100 ]
    check "ratio of medians (t_init 3/1.5 = $(jqv '.ratios["xenon/qemu-microvm"].t_init_s.median'))" \
        [ "$(jqv '.ratios["xenon/qemu-microvm"].t_init_s.median')" = 2 ]
    check "every row kept in runs[] ($(jqv '.runs | length'))" [ "$(jqv '.runs | length')" = 9 ]
    check "failure listed" [ "$(jqv '.failures[0]')" = "xenon-r2r round 4 rc=124" ]
else
    echo "skip JSON checks: no jq"
fi
check "table has the ratio column" grep -q 'xenon-r2r / qemu-microvm' "$R/summary.md"
check "startup floor row" grep -q '^| xenon-r2r-help | 0.70 / 0.70 / 0.70 | 0.80 / 0.80 / 0.80 | 1 |' "$R/summary.md"
if [ "$fails" -gt 0 ]; then
    echo "--- summary.md"; cat "$R/summary.md"; echo "--- summary.json"; cat "$J"
    echo "selftest: $fails check(s) failed"; exit 1
fi
echo "selftest: all checks passed"
