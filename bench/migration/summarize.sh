#!/usr/bin/env bash
# summarize.sh RESULTS - medians of bench/migration's raw.tsv per VMM, size and workload (successful migrations
# only), as a Markdown table for docs/benchmarks.md.
set -euo pipefail
R=${1:?usage: summarize.sh RESULTS}
cat "$R/env.txt" 2>/dev/null | sed 's/^/    /'
awk -F'\t' '
    NR == 1 { next }
    $13 == "ok" || $13 == "completed" {
        k = $2 "\t" $3 "\t" $1
        n[k]++; keys[k] = 1
        down[k, n[k]] = $7; res[k, n[k]] = ($14 == "" || $14 == "-") ? -1 : $14; all[k] = all[k] (all[k] == "" ? "" : ", ") $7 ($14 == "" || $14 == "-" ? "" : "/" $14); total[k, n[k]] = $8; bytes[k, n[k]] = $9; gap[k, n[k]] = $10; passes[k, n[k]] = $12
    }
    $13 != "ok" && $13 != "completed" { failed[$2 "\t" $3 "\t" $1]++; keys[$2 "\t" $3 "\t" $1] = 1 }
    function median(a, k, m,   i, j, t, v) {
        for (i = 1; i <= m; i++) v[i] = a[k, i] + 0
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    END {
        print "| guest MiB | workload | VMM | runs | downtime ms (own) | resumed ms after pause | downtime ms (ping) | total ms | MB sent | passes | every run (own/resumed) |"
        print "|---|---|---|---|---|---|---|---|---|---|---|"
        for (k in keys) {
            split(k, p, "\t")
            m = n[k] + 0
            if (m == 0) { printf "| %s | %s | %s | 0 (%d failed) | | | | | | | |\n", p[1], p[2], p[3], failed[k]; continue }
            r = median(res, k, m)
            printf "| %s | %s | %s | %d%s | %.1f | %s | %d | %d | %.1f | %s | %s |\n", p[1], p[2], p[3], m, failed[k] ? " (" failed[k] " failed)" : "",
                median(down, k, m), r < 0 ? "-" : sprintf("%.1f", r), median(gap, k, m), median(total, k, m), median(bytes, k, m) / 1e6, median(passes, k, m), all[k]
        }
    }' "$R/raw.tsv" | { read -r h; read -r s; echo "$h"; echo "$s"; sort -t'|' -k2,2n -k3,3 -k4,4; }
# Xenon's downtime step by step (docs/migration.md, "Where the time goes"): the sender's phases from its pause, and
# the receiver's warm-up and apply, from the domain logs (each log holds every run of its host so far: deduplicated,
# in time order; raw.tsv's order of runs maps them).
if compgen -G "$R/logs/xenon-*.log" > /dev/null; then
    echo
    echo "Xenon phases (ms: +step (at)):"
    sed -n 's/^\([0-9T:.-]*\)Z* migration to [^ ]*: phases: .*\(paused +.*\)/    \1 sender:   \2/p;
            s/^\([0-9T:.-]*\)Z* migration: phases: \(.*\)/    \1 receiver: \2/p;
            s/^\([0-9T:.-]*\)Z* migration: apply \(.*\)/    \1 apply:    \2/p' "$R"/logs/xenon-*.log | sort -u
fi
