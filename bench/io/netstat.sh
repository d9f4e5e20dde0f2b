#!/usr/bin/env bash
# netstat.sh RESULTS_DIR - the guest's own view of each network job, from the XENON-IO-STAT lines l1-io.sh
# collects into RESULTS_DIR/logs/<target>-netstat.txt: frames and TCP segments the guest sent and received,
# segments per frame (TSO at work), the NIC's transmit and receive interrupts, and where the guest's CPU went
# (busy, idle, and steal: the vCPU wanted to run but its VMM's host did not run it). A markdown table on stdout.
set -euo pipefail
R=${1:?usage: netstat.sh RESULTS_DIR}
echo "| target | job | frames out | TCP segs out | segs/frame | frames in | tx irqs | rx irqs | guest busy / idle / steal % |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in "$R"/logs/*-netstat.txt; do
    [ -f "$f" ] || continue
    t=$(basename "$f" -netstat.txt)
    awk -v T="$t" '
        $1 != "XENON-IO-STAT" { next }
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
