#!/usr/bin/env bash
# summarize.sh - turns l1-bench.sh's raw.tsv into summary.json and a Markdown table.
#
#   summarize.sh RESULTS_DIR      (reads RESULTS_DIR/raw.tsv and env.txt; writes
#                                  RESULTS_DIR/summary.json and summary.md, prints summary.md)
#
# Statistics use the recorded rounds (warm-ups excluded) of boots that exited 0 and printed
# XENON-INIT-OK; failed boots are counted and listed, not averaged. Metrics, per process:
#   t_first_s  fork -> first output line (xenon: "Parsing config", printed at the top of Main)
#   t_init_s   fork -> the guest's XENON-INIT-OK line
#   t_exit_s   fork -> process exit, less the time it was stopped for the memory sample
#   vmrss_mib  VmRSS at XENON-MODS-OK
#   guest_ram_rss_mib  Rss of the guest-RAM mapping (the VMA whose size is the guest's memory)
#   rss_beyond_guest_mib  vmrss - guest_ram_rss: what the VMM itself keeps resident
# "xenon" in the ratios is the xenon variant (AOT, R2R or JIT) with the lower median t_init_s; the -pvh variants
# (the same kernel's ELF through the PVH entry) are compared with each other: "xenon"-pvh against qemu-*-pvh.
# Paired rows: per round, one VMM's t_init minus another's (median, and in how many rounds the first was faster).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: summarize.sh RESULTS_DIR" >&2; exit 2; }
R=$1
[ -f "$R/raw.tsv" ] || { echo "summarize: no $R/raw.tsv" >&2; exit 1; }
date_line=$(sed -n 's/^date: //p' "$R/env.txt" 2>/dev/null || true)

awk -F'\t' -v json="$R/summary.json" -v md="$R/summary.md" -v date="$date_line" '
function isort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function stat(v, m,   key, n, i, a) {
    key = v SUBSEP m; n = cnt[key] + 0
    if (n == 0) { S_min = S_med = S_max = ""; S_n = 0; return }
    for (i = 1; i <= n; i++) a[i] = val[key, i]
    isort(a, n)
    S_min = a[1]; S_max = a[n]; S_n = n
    S_med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(v, m, x,   key) { if (x == "") return; key = v SUBSEP m; val[key, ++cnt[key]] = x }
function num(x) { return (x == "") ? "null" : sprintf("%.3f", x) }
function cell(v, m) { stat(v, m); return (S_n == 0) ? "-" : sprintf("%.2f / %.2f", S_min, S_med) }
NR == 1 { ncol = NF; for (i = 1; i <= NF; i++) { col[$i] = i; name[i] = $i }; next }
{
    v = $col["vmm"]
    if (!(v in seen)) { seen[v] = 1; appeared[++na] = v }
    row[NR] = $0
    if ($col["warmup"] == 1) { warm[v]++; next }
    ok = ($col["rc"] == "0")
    boot = (v !~ /-help$|-version$/)
    if (boot && $col["t_init_us"] == "") ok = 0
    if (!ok) { fail[v]++; failed[++nf] = v " round " $col["round"] " rc=" $col["rc"]; next }
    good[v]++
    if ($col["t_first_us"] != "") add(v, "t_first_s", $col["t_first_us"] / 1e6)
    if (boot) { add(v, "t_init_s", $col["t_init_us"] / 1e6); tinit[v, $col["round"]] = $col["t_init_us"] / 1e6; rounds[$col["round"]] = 1 }
    if ($col["t_exit_us"] != "") add(v, "t_exit_s", $col["t_exit_us"] / 1e6)
    if ($col["pause_us"] != "" && boot) add(v, "sample_pause_s", $col["pause_us"] / 1e6)
    if ($col["vmrss_kib"] != "") {
        add(v, "vmrss_mib", $col["vmrss_kib"] / 1024)
        add(v, "rss_anon_mib", $col["rss_anon_kib"] / 1024)
        add(v, "rss_file_mib", $col["rss_file_kib"] / 1024)
        add(v, "rss_shmem_mib", $col["rss_shmem_kib"] / 1024)
        if ($col["ram_rss_kib"] != "") {
            add(v, "guest_ram_rss_mib", $col["ram_rss_kib"] / 1024)
            add(v, "rss_beyond_guest_mib", ($col["vmrss_kib"] - $col["ram_rss_kib"]) / 1024)
            backing[v] = $col["ram_backing"]
        }
        add(v, "vmas", $col["vmas"])
    }
}
END {
    # columns in a fixed order: the known VMMs first, then anything else as it appeared
    nk = split("xenon-aot xenon-aot-pvh xenon-r2r xenon-jit qemu-microvm qemu-microvm-pvh qemu-q35 xenon-aot-help xenon-r2r-help xenon-jit-help qemu-version", known, " ")
    for (i = 1; i <= nk; i++) if (known[i] in seen) { order[++nv] = known[i]; placed[known[i]] = 1 }
    for (i = 1; i <= na; i++) if (!(appeared[i] in placed)) order[++nv] = appeared[i]
    nm = split("t_first_s t_init_s t_exit_s vmrss_mib guest_ram_rss_mib rss_beyond_guest_mib rss_anon_mib rss_file_mib rss_shmem_mib vmas sample_pause_s", metrics, " ")
    # the faster xenon variant is "xenon" in the ratios
    best = ""; bestmed = 0
    for (i = 1; i <= nv; i++) if (order[i] ~ /^xenon-/ && order[i] !~ /-help$|-pvh$/) {
        stat(order[i], "t_init_s"); if (S_n > 0 && (best == "" || S_med < bestmed)) { best = order[i]; bestmed = S_med }
    }
    nref = split("qemu-microvm qemu-q35 qemu-microvm-pvh qemu-q35-pvh", refs, " ")
    for (r = 1; r <= nref; r++) nums[r] = (best == "" ? "" : best (refs[r] ~ /-pvh$/ ? "-pvh" : ""))

    printf "{\n  \"date\": \"%s\",\n  \"xenon\": %s,\n  \"vmms\": {\n", date, (best == "" ? "null" : "\"" best "\"") > json
    for (i = 1; i <= nv; i++) {
        v = order[i]
        printf "    \"%s\": {\"ok\": %d, \"failed\": %d, \"warmups\": %d, \"guest_ram_backing\": \"%s\", \"metrics\": {", v, good[v], fail[v], warm[v], backing[v] > json
        sep = ""
        for (k = 1; k <= nm; k++) {
            stat(v, metrics[k]); if (S_n == 0) continue
            printf "%s\n      \"%s\": {\"min\": %s, \"median\": %s, \"max\": %s, \"n\": %d}", sep, metrics[k], num(S_min), num(S_med), num(S_max), S_n > json
            sep = ","
        }
        printf "}}%s\n", (i < nv ? "," : "") > json
    }
    printf "  },\n  \"ratios\": {" > json
    rsep = ""
    for (r = 1; r <= nref; r++) {
        ref = refs[r]; if (best == "" || !(ref in seen) || !(nums[r] in seen)) continue
        printf "%s\n    \"xenon%s/%s\": {", rsep, (ref ~ /-pvh$/ ? "-pvh" : ""), ref > json; rsep = ","
        sep = ""
        # t_first_s (k = 1) means different things per VMM: no ratio
        for (k = 2; k <= 6; k++) {
            m = metrics[k]; stat(nums[r], m); bmed = S_med; bmin = S_min; bn = S_n
            stat(ref, m); if (bn == 0 || S_n == 0 || S_med == 0 || S_min == 0) continue
            printf "%s\"%s\": {\"median\": %s, \"min\": %s}", sep, m, num(bmed / S_med), num(bmin / S_min) > json
            sep = ", "
        }
        printf "}" > json
    }
    printf "\n  },\n  \"failures\": [" > json
    for (i = 1; i <= nf; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), failed[i] > json
    printf "],\n  \"runs\": [" > json
    # every process, warm-ups and failures included; times in microseconds, sizes in KiB
    for (i = 2; i <= NR; i++) {
        split(row[i], f, "\t")
        printf "%s\n    {", (i > 2 ? "," : "") > json
        for (c = 1; c <= ncol; c++) {
            x = f[c]
            if (x == "") x = "null"; else if (x !~ /^-?[0-9]+$/) x = "\"" x "\""
            printf "%s\"%s\": %s", (c > 1 ? ", " : ""), name[c], x > json
        }
        printf "}" > json
    }
    printf "\n  ]\n}\n" > json

    # Markdown: boots, then startup floors
    hdr = "| metric (min / median) |"; line = "|---|"
    for (i = 1; i <= nv; i++) if (order[i] !~ /-help$|-version$/) { hdr = hdr " " order[i] " |"; line = line "---|" }
    for (r = 1; r <= nref; r++) if (best != "" && (refs[r] in seen) && (nums[r] in seen)) { hdr = hdr " " nums[r] " / " refs[r] " (median, min) |"; line = line "---|" }
    print hdr > md; print line > md
    nt = split("t_first_s t_init_s t_exit_s vmrss_mib guest_ram_rss_mib rss_beyond_guest_mib rss_anon_mib rss_file_mib rss_shmem_mib", tm, " ")
    for (k = 1; k <= nt; k++) {
        out = "| " tm[k] " |"
        for (i = 1; i <= nv; i++) if (order[i] !~ /-help$|-version$/) out = out " " cell(order[i], tm[k]) " |"
        for (r = 1; r <= nref; r++) {
            ref = refs[r]; if (best == "" || !(ref in seen) || !(nums[r] in seen)) continue
            if (tm[k] == "t_first_s") { out = out " n/a |"; continue }
            stat(nums[r], tm[k]); bmed = S_med; bmin = S_min; bn = S_n
            stat(ref, tm[k])
            out = out ((bn == 0 || S_n == 0 || S_med == 0 || S_min == 0) ? " - |" : sprintf(" %.2f, %.2f |", bmed / S_med, bmin / S_min))
        }
        print out > md
    }
    out = "| boots ok / failed |"
    for (i = 1; i <= nv; i++) if (order[i] !~ /-help$|-version$/) out = out " " (good[order[i]] + 0) " / " (fail[order[i]] + 0) " |"
    print out > md
    # paired by round: the load on the host moves both boots of a round alike
    np = 0
    if (best != "") {
        split(best " qemu-microvm " best " base-aot " best "-pvh qemu-microvm-pvh " best "-pvh base-aot-pvh " best "-pvh " best " qemu-microvm-pvh qemu-microvm", pw, " ")
        for (i = 1; i <= 12; i += 2) if ((pw[i] in seen) && (pw[i + 1] in seen)) { pa[++np] = pw[i]; pb[np] = pw[i + 1] }
    }
    if (np > 0) {
        print "" > md
        print "| t_init_s paired by round | median of differences, s | first faster in | rounds |" > md
        print "|---|---|---|---|" > md
        for (p = 1; p <= np; p++) {
            nd = 0; faster = 0; delete d
            for (rd in rounds) if (((pa[p], rd) in tinit) && ((pb[p], rd) in tinit)) {
                d[++nd] = tinit[pa[p], rd] - tinit[pb[p], rd]; if (d[nd] < 0) faster++
            }
            if (nd == 0) continue
            isort(d, nd); dm = (nd % 2) ? d[(nd + 1) / 2] : (d[nd / 2] + d[nd / 2 + 1]) / 2
            printf "| %s - %s | %+.3f | %d | %d |\n", pa[p], pb[p], dm, faster, nd > md
        }
    }
    print "" > md
    print "| startup floor (min / median / max, s) | fork -> first line | fork -> exit | runs ok |" > md
    print "|---|---|---|---|" > md
    for (i = 1; i <= nv; i++) if (order[i] ~ /-help$|-version$/) {
        v = order[i]; stat(v, "t_first_s"); a = (S_n ? sprintf("%.2f / %.2f / %.2f", S_min, S_med, S_max) : "-")
        stat(v, "t_exit_s"); b = (S_n ? sprintf("%.2f / %.2f / %.2f", S_min, S_med, S_max) : "-")
        print "| " v " | " a " | " b " | " (good[v] + 0) " |" > md
    }
    if (nf > 0) { print "" > md; print "Failed runs: " > md; for (i = 1; i <= nf; i++) print "- " failed[i] > md }
    if (best != "") { print "" > md; print "xenon in the ratios = " best " (lower median t_init_s)." > md }
}' "$R/raw.tsv"
cat "$R/summary.md"
