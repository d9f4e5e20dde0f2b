#!/usr/bin/env bash
# summary.sh RAW.TSV - medians (and min-max) of each measure per size, fill, cache state and mode, from the raw.tsv that
# l1-bench.sh writes (in the nested host for run.sh, on the build host for host-soft.sh). A measure a row does not
# have (build mode has no request hand-off) is left out of its median; a cell with none shows "-".
set -euo pipefail
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: summary.sh RAW.TSV" >&2; exit 2; }
# POSIX awk: no asort.
awk -F'\t' '
    function sorted(k, m,    c, j, i, t) {
        c = 0; for (j = 1; j <= n[k]; j++) if (v[k, m, j] != "") a[++c] = v[k, m, j] + 0
        for (i = 2; i <= c; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return c
    }
    function cell(k, m,    c, med) {
        c = sorted(k, m)
        if (c == 0) return "-"
        med = (c % 2) ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
        return c > 1 ? sprintf("%.1f (%.1f-%.1f)", med, a[1], a[c]) : sprintf("%.1f", med)
    }
    BEGIN { nm = split("restore_to_running_ms taken_ms build_ms records_ms memory_ms state_ms devices_ms restore_ms since_open_ms answered_ms command_ms verify_ms prepare_ms jit load1", w, " ") }
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { k = $col["mem_mib"] "\t" $col["fill_mib"] "\t" $col["cache"] "\t" $col["mode"]; if (!(k in n)) order[++nk] = k; n[k]++
      for (i = 1; i <= nm; i++) v[k, w[i], n[k]] = (w[i] in col) ? $col[w[i]] : "" }
    END {
        printf "mem_mib\tfill_mib\tcache\tmode\truns"; for (i = 1; i <= nm; i++) if (w[i] in col) printf "\t%s", w[i]; printf "\n"
        for (o = 1; o <= nk; o++) { k = order[o]; printf "%s\t%d", k, n[k]; for (i = 1; i <= nm; i++) if (w[i] in col) printf "\t%s", cell(k, w[i]); printf "\n" }
    }' "$1" | column -t -s $'\t'
echo "(median (min-max); ms, jit in methods, load1 the host's 1-minute load average at each restore)"
