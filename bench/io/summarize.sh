#!/usr/bin/env bash
# summarize.sh - turns l1-io.sh's raw fio/iperf3 JSON into summary.json and a Markdown table.
#
#   summarize.sh RESULTS_DIR   (reads RESULTS_DIR/{status.tsv,host,qemu,xenon}; writes
#                               RESULTS_DIR/summary.json and summary.md, prints summary.md)
#
# Per job and target: fio's bandwidth (MB/s = 10^6 bytes/s), IOPS, mean total latency (submission
# + completion: in a nested guest the submission's exit is most of it), mean submission and
# completion latency and p99 completion latency, of the direction the job moves data; iperf3's receiver throughput (Gbit/s = 10^9 bit/s)
# and the sender's TCP retransmits. The table shows each job's headline unit (jobs.sh io_metric)
# and the ratios qemu/host, xenon/host, xenon/qemu (higher is better for every unit). A job whose
# run failed (rc != 0, or no JSON) shows its status instead of a number. With several rounds
# (run.sh -n; target NAME~r is round r) each cell is the median over the rounds that succeeded,
# and a per-round table follows. Needs jq.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: summarize.sh RESULTS_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
# shellcheck source=jobs.sh
. "$HERE/jobs.sh"
R=$1
[ -f "$R/status.tsv" ] || { echo "summarize: no $R/status.tsv" >&2; exit 1; }

# one JSON object per status row
rows() {
    local target kind job rc f st
    tail -n +2 "$R/status.tsv" | while IFS=$'\t' read -r target kind job rc; do
        f=$R/$target/$kind-$job.json
        if [ "$rc" = 0 ] && [ -s "$f" ] && [ "$kind" = fio ]; then
            jq -c --arg t "$target" --arg j "$job" --arg u "$(io_metric "$job")" '
                .jobs[0] as $x
                | (if ($x.read.io_bytes // 0) > 0 then $x.read else $x.write end) as $d
                | {target: $t, job: $j, kind: "fio", unit: $u, ok: ($x.error == 0),
                   mb_s: ($d.bw_bytes / 1e6), iops: $d.iops,
                   lat_mean_us: ($d.lat_ns.mean / 1e3), slat_mean_us: ($d.slat_ns.mean / 1e3),
                   clat_mean_us: ($d.clat_ns.mean / 1e3),
                   clat_p99_us: (($d.clat_ns.percentile // {})["99.000000"] // null | if . then . / 1e3 else null end)}
                | .value = (if $u == "MB/s" then .mb_s else .iops end)' "$f" 2>/dev/null \
                || echo "{\"target\":\"$target\",\"job\":\"$job\",\"kind\":\"fio\",\"ok\":false,\"status\":\"bad json\"}"
        elif [ "$rc" = 0 ] && [ -s "$f" ] && [ "$kind" = iperf ]; then
            jq -c --arg t "$target" --arg j "$job" '
                {target: $t, job: $j, kind: "iperf", unit: "Gbit/s", ok: (.error == null),
                 gbit_s: ((.end.sum_received.bits_per_second // 0) / 1e9),
                 sent_gbit_s: ((.end.sum_sent.bits_per_second // 0) / 1e9),
                 retransmits: (.end.sum_sent.retransmits // null), error: .error}
                | .value = .gbit_s' "$f" 2>/dev/null \
                || echo "{\"target\":\"$target\",\"job\":\"$job\",\"kind\":\"iperf\",\"ok\":false,\"status\":\"bad json\"}"
        else
            case $rc in [0-9]*) st="rc $rc" ;; *) st=$rc ;; esac
            echo "{\"target\":\"$target\",\"job\":\"$job\",\"kind\":\"$kind\",\"ok\":false,\"status\":\"$st\"}"
        fi
    done
}

{
    echo '{'
    echo "\"date\": $(sed -n 's/^date: //p' "$R/env.txt" 2>/dev/null | jq -R . || echo null),"
    echo "\"env\": $(jq -Rs . < "$R/env.txt" 2>/dev/null || echo null),"
    echo '"rounds": '
    # run.sh -n: round r > 1 of a target is the target "NAME~r"
    rows | jq -s '[.[] | . + {base: (.target | split("~")[0]), round: ((.target | split("~")[1] // "1") | tonumber)}]
        | (map(.round) | max // 1)'
    echo ', "results": '
    # one row per target and job over all rounds: the median of the rounds that succeeded (n of them)
    rows | jq -s '
        def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
                          else (.[length / 2 - 1] + .[length / 2]) / 2 end;
        [.[] | . + {base: (.target | split("~")[0])}]
        | group_by([.base, .job])
        | map((map(select(.ok)) ) as $ok
              | (if ($ok | length) > 0 then $ok[0] else .[0] end)
              + {target: .[0].base, n: ($ok | length),
                 value: ($ok | map(.value) | median),
                 lat_mean_us: ($ok | map(.lat_mean_us // empty) | median),
                 clat_p99_us: ($ok | map(.clat_p99_us // empty) | median)}
              | del(.base))'
    echo ', "per_round": '
    rows | jq -s '[.[] | . + {base: (.target | split("~")[0]), round: ((.target | split("~")[1] // "1") | tonumber)}]'
    echo '}'
} | jq . > "$R/summary.json"

# table: one row per job in jobs.sh order, one column per target that has results
# shellcheck disable=SC2086  # the job lists are word lists: one argument per job
jq -r '
  def fmt(u): if . == null then "-" elif u == "IOPS" then (. | floor | tostring)
              else ((. * 100 | round) / 100 | tostring) end;
  def ratio(a; b): if (a == null or b == null or b == 0) then "-" else ((a / b * 100 | round) / 100 | tostring) end;
  .results as $r
  | ([$r[].job] | unique) as $present
  | ($r | map(select(.target == "host" or .target == "qemu" or .target == "xenon")) ) as $rr
  | def cell(t; j): ($rr | map(select(.target == t and .job == j)) | first);
    def val(t; j): (cell(t; j) | if . == null then null elif .ok then .value else null end);
    def shown(t; j; u): (cell(t; j) | if . == null then "n/a" elif .ok then (.value | fmt(u)) else (.status // "failed") end);
    "| job | unit | host | qemu | xenon | qemu/host | xenon/host | xenon/qemu |",
    "|---|---|---|---|---|---|---|---|",
    ( $ARGS.positional[] | select(. as $j | $present | index($j)) as $j
      | ($rr | map(select(.job == $j)) | first | .unit // "") as $u
      | "| \($j) | \($u) | \(shown("host"; $j; $u)) | \(shown("qemu"; $j; $u)) | \(shown("xenon"; $j; $u)) | \(ratio(val("qemu"; $j); val("host"; $j))) | \(ratio(val("xenon"; $j); val("host"; $j))) | \(ratio(val("xenon"; $j); val("qemu"; $j))) |" ),
    "",
    "| fio job: mean total latency / p99 completion latency (us) | host | qemu | xenon |",
    "|---|---|---|---|",
    ( $ARGS.positional[] | select(. as $j | $present | index($j)) as $j
      | select(($rr | map(select(.job == $j)) | first | .kind) == "fio")
      | def lat(t): (cell(t; $j) | if . == null or (.ok | not) then "-"
                    else "\((.lat_mean_us * 10 | round) / 10) / \(if .clat_p99_us == null then "-" else ((.clat_p99_us * 10 | round) / 10) end)" end);
        "| \($j) | \(lat("host")) | \(lat("qemu")) | \(lat("xenon")) |" )
' "$R/summary.json" --args $IO_FIO_JOBS $IO_NET_JOBS > "$R/summary.md"
# Xenon variants (run.sh -x): one column per xenon-LABEL target, each value with its ratio to QEMU
# shellcheck disable=SC2086
jq -r '
  def fmt(u): if . == null then "-" elif u == "IOPS" then (. | floor | tostring)
              else ((. * 100 | round) / 100 | tostring) end;
  .results as $r
  | ([$r[].target | select(startswith("xenon-"))] | unique) as $vt
  | select($vt | length > 0)
  | def cell(t; j): ($r | map(select(.target == t and .job == j)) | first);
    def val(t; j): (cell(t; j) | if . == null then null elif .ok then .value else null end);
    "",
    "| job | unit | qemu | xenon | \($vt | join(" | ")) |",
    "|---|---|---|---|\($vt | map("---|") | join(""))",
    ( $ARGS.positional[] as $j
      | select([$vt[] as $t | cell($t; $j)] | map(select(. != null)) | length > 0)
      | ($r | map(select(.job == $j)) | first | .unit // "") as $u
      | val("qemu"; $j) as $q
      | "| \($j) | \($u) | \(val("qemu"; $j) | fmt($u)) | \(val("xenon"; $j) | fmt($u)) | \([$vt[] as $t | val($t; $j) as $v
            | if cell($t; $j) == null then "n/a" elif $v == null then (cell($t; $j).status // "failed")
              elif $q == null or $q == 0 then ($v | fmt($u)) else "\($v | fmt($u)) (\((($v / $q) * 100 | round) / 100))" end] | join(" | ")) |" )
' "$R/summary.json" --args $IO_FIO_JOBS $IO_NET_JOBS >> "$R/summary.md"
# rounds (run.sh -n): every round's value and its xenon/qemu ratio, to read the spread the medians hide
# shellcheck disable=SC2086
jq -r '
  select(.rounds > 1)
  | def fmt(u): if . == null then "-" elif u == "IOPS" then (. | floor | tostring)
                else ((. * 100 | round) / 100 | tostring) end;
    .per_round as $p
    | ([$p[].base] | unique) as $targets
    | def val(t; j; r): ($p | map(select(.base == t and .job == j and .round == r)) | first
                         | if . == null then null elif .ok then .value else null end);
    "",
    "Per round (the tables above give the median of the rounds; a round alternates the order of the VMs):",
    "",
    "| job | round | \($targets | join(" | ")) | xenon/qemu |",
    "|---|---|\($targets | map("---|") | join(""))---|",
    ( $ARGS.positional[] as $j | range(1; .rounds + 1) as $r
      | select([$targets[] as $t | val($t; $j; $r)] | map(select(. != null)) | length > 0)
      | ($p | map(select(.job == $j)) | first | .unit // "") as $u
      | val("xenon"; $j; $r) as $x | val("qemu"; $j; $r) as $q
      | "| \($j) | \($r) | \([$targets[] as $t | val($t; $j; $r) | fmt($u)] | join(" | ")) | \(if $x == null or $q == null or $q == 0 then "-" else (($x / $q * 100 | round) / 100 | tostring) end) |" )
' "$R/summary.json" --args $IO_FIO_JOBS $IO_NET_JOBS >> "$R/summary.md"
{
    echo
    echo "host = fio on the disk file / iperf3 client on the nested host itself (net: loopback through xenbr0's address)."
    echo "xenon disk: its raw file backend, O_DIRECT (direct-io-safe) against qemu cache=none/directsync, else the page cache."
    echo "xenon-LABEL: run.sh -x variants, value (÷ qemu); qemu disk: as below."
    sed -n '/^xenon variant: /p' "$R/env.txt" 2>/dev/null
    sed -n '/^\(qemu disk\|guest\|targets\|source\): /p' "$R/env.txt" 2>/dev/null
} >> "$R/summary.md"
# the guest's own counters around each job (l1-io.sh's XENON-IO-STAT lines), and Xenon's device statistics
if compgen -G "$R/logs/*-netstat.txt" > /dev/null; then
    {
        echo
        echo "Guest view per job (bench/io/netstat.sh; steal: the vCPU was runnable but not run by its host; fio jobs: the requests"
        echo "the device saw, their size and the interrupts that completed them):"
        echo
        bash "$HERE/netstat.sh" "$R"
    } >> "$R/summary.md"
fi
cat "$R/summary.md"
