# shellcheck shell=bash
# probe.sh - times one VMM process and samples its memory; sourced by l1-bench.sh (runs in L1).
#
#   probe_run LOG GUEST_KIB CMD [ARGS...]
#
# Runs CMD with stdin from /dev/null and stdout+stderr into a pipe that we read line by line,
# stamping each line with bash's $EPOCHREALTIME: no process is started while the VMM runs
# (each exec costs 40-110 ms in the nested host and would compete with the VMM for its vCPU).
# Sets these globals (times in microseconds since the VMM was forked; "" when not seen):
#   P_FIRST first line of the VMM's output (xenon prints "Parsing config" first thing in Main)
#   P_INIT  first line containing XENON-INIT-OK    P_MODS  first XENON-MODS-OK
#   P_EXIT  the VMM process exited, less P_PAUSE   P_RC    its exit status (124: killed by us)
#   P_PAUSE time the VMM was stopped for the memory sample (see below)
#   P_VMRSS P_ANON P_FILE P_SHMEM  VmRSS/RssAnon/RssFile/RssShmem of /proc/PID/status, KiB
#   P_RAM_RSS  Rss of the guest-RAM mapping(s): the VMAs whose size is exactly GUEST_KIB
#   P_RAM_VMAS how many such VMAs, P_RAM_NAME the first one's backing ("anon" when none)
#   P_VMAS     VMAs in the process
# Memory is sampled when XENON-MODS-OK appears, with the VMM stopped (SIGSTOP ... SIGCONT) so the
# sample is consistent and cannot race the guest's power-off; the stopped time is subtracted
# from P_EXIT. Env: PROBE_IDLE_S (kill the VMM after this long without output, default 120),
# PROBE_LIMIT_S (kill it after this long in all, default 300).

# Sets NOW (microseconds) without a subshell.
_probe_now() { local t=${EPOCHREALTIME/[.,]/}; NOW=$((10#$t)); }

# Reads /proc/PID/status and /proc/PID/smaps with builtins only. mapfile reads the file in a
# few large reads; `while read` would lseek back after every line, and seq_file files such as
# smaps regenerate everything up to the new offset on each seek (quadratic: 1 s for 110 VMAs).
_probe_kib() { local x=${1#*:}; x=${x%kB}; P_KIB=${x//[[:space:]]/}; }
_probe_sample() {
    local pid=$1 guest_kib=$2 line k size=0 hdr="" P_KIB
    local -a lines
    P_VMRSS="" P_ANON="" P_FILE="" P_SHMEM="" P_RAM_RSS=0 P_RAM_VMAS=0 P_RAM_NAME="" P_VMAS=0
    mapfile -t lines < "/proc/$pid/status" || return 1
    for line in "${lines[@]}"; do
        case $line in
            VmRSS:*) _probe_kib "$line"; P_VMRSS=$P_KIB ;;
            RssAnon:*) _probe_kib "$line"; P_ANON=$P_KIB ;;
            RssFile:*) _probe_kib "$line"; P_FILE=$P_KIB ;;
            RssShmem:*) _probe_kib "$line"; P_SHMEM=$P_KIB ;;
        esac
    done
    mapfile -t lines < "/proc/$pid/smaps" || return 1
    for line in "${lines[@]}"; do
        k=${line%% *}
        case $k in
            Size:) _probe_kib "$line"; size=$P_KIB ;;
            Rss:)
                if [ "$size" = "$guest_kib" ]; then
                    _probe_kib "$line"
                    P_RAM_RSS=$((P_RAM_RSS + P_KIB)); P_RAM_VMAS=$((P_RAM_VMAS + 1))
                    [ -z "$P_RAM_NAME" ] && P_RAM_NAME=$hdr
                fi ;;
            *:) ;;
            # a VMA header: "start-end perms offset dev inode [path]"
            *-*) P_VMAS=$((P_VMAS + 1)); hdr=$line ;;
        esac
    done
    if [ "$P_RAM_VMAS" = 0 ]; then
        P_RAM_RSS=""
        return 0
    fi
    # shellcheck disable=SC2086
    set -- $P_RAM_NAME
    shift 5
    P_RAM_NAME=${*:-anon}
    P_RAM_NAME=${P_RAM_NAME// /_}
}

probe_run() {
    local log=$1 guest_kib=$2; shift 2
    local idle=${PROBE_IDLE_S:-120} limit=${PROBE_LIMIT_S:-300}
    local fd line now t0="" pid="" killed=0 p0 end NOW
    P_FIRST="" P_INIT="" P_MODS="" P_EXIT="" P_RC="" P_PAUSE=0
    P_VMRSS="" P_ANON="" P_FILE="" P_SHMEM="" P_RAM_RSS="" P_RAM_VMAS="" P_RAM_NAME="" P_VMAS=""
    : > "$log"
    # The subshell stamps the fork and the exit itself, so those two times do not depend on how
    # fast this reader gets scheduled.
    exec {fd}< <(
        t=${EPOCHREALTIME/[.,]/}
        "$@" </dev/null 2>&1 &
        echo "PROBE-PID $! $t"
        wait $!
        rc=$?
        t=${EPOCHREALTIME/[.,]/}
        echo "PROBE-EXIT $rc $t"
    )
    _probe_now
    end=$((NOW + limit * 1000000))
    while :; do
        if ! IFS= read -r -t "$idle" -u "$fd" line; then
            # status > 128: read timed out; otherwise EOF
            if [ -n "$pid" ] && [ "$killed" = 0 ] && [ -z "$P_RC" ]; then
                echo "PROBE: no output for ${idle}s, killing pid $pid" >> "$log"
                kill -KILL "$pid" 2>/dev/null; killed=1; continue
            fi
            break
        fi
        _probe_now
        now=$NOW
        # the log keeps each line's time since the fork, for seeing where a boot spends it
        if [ -n "$t0" ]; then
            printf '+%d.%06d %s\n' $(((now - t0) / 1000000)) $(((now - t0) % 1000000)) "$line" >> "$log"
        else
            printf '%s\n' "$line" >> "$log"
        fi
        case $line in
            "PROBE-PID "*)
                set -- $line; pid=$2; t0=$((10#$3)) ;;
            "PROBE-EXIT "*)
                set -- $line; P_RC=$2; P_EXIT=$((10#$3 - t0)) ;;
            *XENON-INIT-OK*)
                [ -z "$P_FIRST" ] && P_FIRST=$((now - t0))
                [ -z "$P_INIT" ] && P_INIT=$((now - t0)) ;;
            *XENON-MODS-OK*)
                if [ -z "$P_MODS" ]; then
                    P_MODS=$((now - t0))
                    p0=$now
                    if kill -STOP "$pid" 2>/dev/null; then
                        _probe_sample "$pid" "$guest_kib" || echo "PROBE: memory sample failed" >> "$log"
                        kill -CONT "$pid"
                        _probe_now
                        P_PAUSE=$((NOW - p0))
                    fi
                fi ;;
            *)
                [ -z "$P_FIRST" ] && [ -n "$t0" ] && P_FIRST=$((now - t0)) ;;
        esac
        if [ "$killed" = 0 ] && [ -n "$pid" ] && [ -z "$P_RC" ] && [ "$now" -gt "$end" ]; then
            echo "PROBE: over ${limit}s, killing pid $pid" >> "$log"
            kill -KILL "$pid" 2>/dev/null; killed=1
        fi
    done
    exec {fd}<&-
    [ "$killed" = 1 ] && P_RC=124
    [ -n "$P_EXIT" ] && P_EXIT=$((P_EXIT - P_PAUSE))
    return 0
}
