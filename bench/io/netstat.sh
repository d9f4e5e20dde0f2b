#!/usr/bin/env bash
# netstat.sh RESULTS_DIR - the guest's own view of each network job, from the XENON-IO-STAT lines l1-io.sh
# collects into RESULTS_DIR/logs/<target>-netstat.txt: frames and TCP segments the guest sent and received,
# segments per frame (TSO at work), the NIC's transmit and receive interrupts, and where the guest's CPU went
# (busy, idle, and steal: the vCPU wanted to run but its VMM's host did not run it). A markdown table on stdout;
# then, for each fio job, the guest's disk view (requests the device saw, their average size, virtio-blk
# interrupts) and Xenon's device counters at exit ("vbd N:" lines: guest buffers per host call, wake-ups).
set -euo pipefail
R=${1:?usage: netstat.sh RESULTS_DIR}
# the network table only when a network job ran
if grep -qs '^XENON-IO-STAT [a-z]* iperf-' "$R"/logs/*-netstat.txt; then
echo "| target | job | frames out | TCP segs out | segs/frame | frames in | tx irqs | rx irqs | guest busy / idle / steal % |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in "$R"/logs/*-netstat.txt; do
    [ -f "$f" ] || continue
    t=$(basename "$f" -netstat.txt)
    awk -v T="$t" '
        $1 != "XENON-IO-STAT" { next }
        $3 !~ /^iperf-/ { next }
        { w = $2; j = $3; if (!(j in seen)) { seen[j] = 1; order[++n] = j } }
        $4 == "nic"  { tx[w, j] = $7; rx[w, j] = $9 }
        $4 == "snmp" && $6 ~ /^[0-9]+$/ { segs[w, j] = $16 }
        $4 == "cpu"  { busy[w, j] = $5 + $6 + $7 + $10 + $11; idle[w, j] = $8 + $9; steal[w, j] = $12 }
        $4 == "irq" && $NF ~ /-output\.0$/ { txi[w, j] = $6 }
        $4 == "irq" && $NF ~ /-input\.0$/  { rxi[w, j] = $6 }
        function d(a, j) { return (("after", j) in a && ("before", j) in a) ? a["after", j] - a["before", j] : "-" }
        END {
            for (i = 1; i <= n; i++) {
                j = order[i]
                fo = d(tx, j); so = d(segs, j)
                spf = (fo != "-" && so != "-" && fo > 0) ? sprintf("%.1f", so / fo) : "-"
                b = d(busy, j); id = d(idle, j); st = d(steal, j); tot = b + id + st
                cpu = (b != "-" && tot > 0) ? sprintf("%d / %d / %d", 100 * b / tot, 100 * id / tot, 100 * st / tot) : "-"
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", T, j, fo, so, spf, d(rx, j), d(txi, j), d(rxi, j), cpu
            }
        }' "$f"
done
echo
fi

echo "| target | fio job | requests (rd + wr) | KiB per request | blk interrupts | requests per interrupt |"
echo "|---|---|---|---|---|---|"
for f in "$R"/logs/*-netstat.txt; do
    [ -f "$f" ] || continue
    t=$(basename "$f" -netstat.txt)
    awk -v T="$t" '
        $1 != "XENON-IO-STAT" || $3 ~ /^iperf-/ || $3 == "-" { next }
        { w = $2; j = $3; if (!(j in seen)) { seen[j] = 1; order[++n] = j } }
        $4 == "diskstats" { req[w, j] = $8 + $12; sec[w, j] = $10 + $14 }
        $4 == "irq" && $NF ~ /-req\.0$/ { irq[w, j] = $6 }
        function d(a, j) { return (("after", j) in a && ("before", j) in a) ? a["after", j] - a["before", j] : "-" }
        END {
            for (i = 1; i <= n; i++) {
                j = order[i]; r = d(req, j); s = d(sec, j); q = d(irq, j)
                kib = (r != "-" && s != "-" && r > 0) ? sprintf("%.0f", s / 2 / r) : "-"
                rpi = (r != "-" && q != "-" && q > 0) ? sprintf("%.1f", r / q) : "-"
                printf "| %s | %s | %s | %s | %s | %s |\n", T, j, r, kib, q, rpi
            }
        }' "$f"
done
vbd=$(grep -h ': vbd [0-9]' "$R"/logs/*-netstat.txt 2>/dev/null || true)
if [ -n "$vbd" ]; then
    echo
    echo "Xenon's disk counters at exit, whole run (every job of the target):"
    echo
    for f in "$R"/logs/xenon*-netstat.txt; do
        grep -h ': vbd [0-9]' "$f" 2>/dev/null | sed "s/^.*: vbd /- $(basename "$f" -netstat.txt): vbd /" || true
    done
fi

