#!/usr/bin/env bash
# l1-bench.sh RESULTS RUNS FILL_MIB SIZE... - runs inside the nested host (see run.sh): saves the default guest and
# restores it RUNS times with the page cache warm and cold, for each SIZE (MiB) of guest memory, in each mode of
# BENCH_MODES (default "build prepared"): build = `xenon restore FILE` starts a domain process that builds the machine
# (the build is inside restore-to-running); prepared = `xenon restore --prepare CONFIG` first (timed apart, prepare_ms),
# then `xenon restore FILE` hands the file to that built, parked domain process (restore-to-running from the request).
set -uo pipefail
RES=$1 RUNS=$2 FILL=$3
shift 3
mkdir -p "$RES/logs"
RES=$(cd "$RES" && pwd)
XENON=${XENON:-$PWD/bin/xenon}
# BENCH_RESTORE_ENV: more environment for `xenon restore` (and the domain process it starts), e.g.
# "DOTNET_JitDisasmSummary=1 DOTNET_JitStdOutFile=F": the methods the JIT compiled, numbered as the restore line counts them.
# In mode prepared it is the environment of `xenon restore --prepare` too (the domain process is started there).
RESTORE_ENV=${BENCH_RESTORE_ENV:-}
MODES=${BENCH_MODES:-build prepared}
# The same script runs on the build host with the software CPU (host-soft.sh): these default to the nested host's.
GUEST=${BENCH_GUEST:-/opt/guest}
ACCEL=${BENCH_ACCEL:-}          # e.g. soft: the guest's accel = "..." line
PREFIX=${BENCH_NAME_PREFIX:-sr} # domain names PREFIX<MiB>f<fill>
DROP=${BENCH_DROP:-all}         # cold cache: all = drop_caches (the whole page cache), file = only the save file's pages
export XENON_RUN_DIR=${XENON_RUN_DIR:-/tmp/xenon-run} XENON_LOG_DIR=$RES/logs
# The work image (ext4) in the nested host: the saved files live on a real file system with holes and a page cache.
S=${BENCH_SCRATCH:-/work/scratch}
mkdir -p "$S"
# The guest's console into a file (socat where there is one; the build host has python3 instead).
attach() {
    if command -v socat > /dev/null; then socat -u "UNIX-CONNECT:$1" - >> "$2" 2>/dev/null &
    else python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = open(sys.argv[2], "ab", buffering=0)
while (b := s.recv(4096)): f.write(b)' "$1" "$2" 2>/dev/null &
    fi
}
drop_cache() {
    sync
    if [ "$DROP" = file ]; then dd if="$1" iflag=nocache count=0 status=none; else echo 3 > /proc/sys/vm/drop_caches; fi
}
ms() { local t=${EPOCHREALTIME/,/.}; echo "${t%.*}${t#*.}" | cut -c1-13; }
{
    echo "date: $(date -u +%FT%TZ)"
    echo "kernel: $(uname -r)"
    echo "cpus: $(nproc)"
    echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
    echo "memory: $(free -m | awk '/^Mem:/ { print $2 }') MiB"
    echo "fs of $S: $(df -T "$S" | awk 'NR == 2 { print $2 }')"
    echo "guest: $(ls -l $GUEST)"
    echo "accel: ${ACCEL:-default}; cold cache: drop $DROP"
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES/env.txt"
cat "$RES/env.txt"
# build_ms: the machine build; inside restore_to_running_ms in mode build, before the request in mode prepared.
# taken_ms (prepared): accept to a parsed request; since_open_ms: the file's open to running; restore_ms: "in X ms";
# answered_ms (prepared): the toolstack's connect to the domain process's answer; load1: the host's 1-minute load.
printf 'mem_mib\tfill_mib\tcache\tmode\trun\trestore_to_running_ms\tbuild_ms\trecords_ms\tmemory_ms\tstate_ms\tdevices_ms\tmapped_mib\tcommand_ms\tfile_bytes\tallocated_bytes\tsave_ms\tverify_ms\tprepare_ms\tjit\ttaken_ms\tsince_open_ms\trestore_ms\tanswered_ms\tload1\n' > "$RES/raw.tsv"

ticks() { grep -c 'TICK' "$1" 2>/dev/null || true; }
wait_ticks() { local i; for ((i = 0; i < $3; i++)); do [ "$(ticks "$1")" -ge "$2" ] && return 0; sleep 0.1; done; return 1; }

one_size() {
    local mem=$1 fill=$2 name=$PREFIX$1f$2 file cfg dir con
    file=$S/$name.save cfg=$S/$name.cfg dir=$XENON_RUN_DIR/domains/$name con=$S/$name.console
    local guest_cmd="while true; do echo TICK; sleep 1; done"
    [ "$fill" -gt 0 ] && guest_cmd="dd if=/dev/urandom of=/fill bs=1M count=$fill 2>/dev/null; $guest_cmd"
    cat > "$cfg" <<CFG
name = "$name"
memory = $mem
vcpus = 1
kernel = "$GUEST/vmlinuz"
ramdisk = "$GUEST/initrd.img"
cmdline = "console=ttyS0 quiet -- $guest_cmd"
on_crash = "destroy"
${ACCEL:+accel = \"$ACCEL\"}
CFG
    : > "$con"
    $XENON create "$cfg" || { echo "create $name failed"; return 1; }
    attach "$dir/console.sock" "$con"
    wait_ticks "$con" 3 3000 || { echo "$name: no ticks"; $XENON destroy "$name"; return 1; }
    local t0 save_ms
    t0=$(ms)
    $XENON save "$name" "$file" || { echo "save $name failed"; return 1; }
    save_ms=$(( $(ms) - t0 ))
    local bytes alloc
    bytes=$(stat -c %s "$file")
    alloc=$(( $(stat -c %b "$file") * $(stat -c %B "$file") ))
    echo "$name: saved in $save_ms ms: $bytes bytes, $alloc allocated"
    # A prepared domain that is destroyed instead of restored must end (its process, its registration).
    local pid i
    if [[ " $MODES " == *" prepared "* ]]; then
        $XENON restore --prepare "$cfg" > "$S/$name.prepare-destroy.txt" 2>&1 || { echo "prepare $name failed:"; cat "$S/$name.prepare-destroy.txt"; return 1; }
        pid=$(cat "$dir/pid" 2>/dev/null)
        $XENON destroy "$name" > /dev/null 2>&1
        for ((i = 0; i < 300; i++)); do [ -n "$pid" ] && [ -d "/proc/$pid" ] || break; sleep 0.1; done
        if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then echo "$name: FAILED: the prepared domain process $pid outlived its destroy"; kill "$pid"
        else echo "$name: a prepared domain, destroyed, ended ($(grep -c . "$S/$name.prepare-destroy.txt") lines from prepare)"; fi
    fi
    local cache run out mode prep_ms
    for cache in warm cold; do
      for mode in $MODES; do
        for ((run = 0; run <= RUNS; run++)); do  # run 0: not recorded (first start of the binary, the file's first read)
            prep_ms=""
            if [ "$mode" = prepared ]; then
                t0=$(ms)
                env $RESTORE_ENV $XENON restore --prepare "$cfg" > "$S/$name.prepare.txt" 2>&1 || { echo "prepare $name failed:"; cat "$S/$name.prepare.txt"; return 1; }
                prep_ms=$(( $(ms) - t0 ))
            fi
            [ $cache = cold ] && drop_cache "$file"
            out=$S/$name.$cache.$mode.$run.txt
            : > "$con"
            local log nv
            log=$(cat "$dir/log" 2>/dev/null)
            nv=$(grep -c "verified the memory images\|memory image check" "$log" 2>/dev/null)
            t0=$(ms)
            env $RESTORE_ENV $XENON restore -d "$file" > "$out" 2>&1 || { echo "restore $name failed:"; cat "$out"; return 1; }
            local cmd_ms=$(( $(ms) - t0 ))
            attach "$dir/console.sock" "$con"
            wait_ticks "$con" 2 600 || echo "$name: no ticks after the restore"
            # The background check finishes within seconds; wait for its line (at most 60 s).
            local verify="" i
            log=$(cat "$dir/log" 2>/dev/null)
            for ((i = 0; i < 600; i++)); do
                if [ "$(grep -c "verified the memory images\|memory image check" "$log" 2>/dev/null)" -gt "${nv:-0}" ]; then
                    verify=$(grep -h "verified the memory images\|memory image check" "$log" | tail -n 1)
                    break
                fi
                sleep 0.1
            done
            local line r2r build records memory state devices mapped vms
            line=$(grep 'restore-to-running' "$out" | tail -n 1)
            r2r=$(sed -n 's/.*restore-to-running \([0-9.]*\) ms.*/\1/p' <<< "$line")
            build=$(sed -n 's/.*(build \([0-9.]*\) ms).*/\1/p; s/.*prepared: built \([0-9.]*\) ms.*/\1/p' <<< "$line")
            records=$(sed -n 's/.*records \([0-9.]*\) ms.*/\1/p' <<< "$line")
            memory=$(sed -n 's/.*memory \([0-9.]*\) ms:.*/\1/p' <<< "$line")
            mapped=$(sed -n 's/.* \([0-9]*\) MiB mapped.*/\1/p' <<< "$line")
            state=$(sed -n 's/.*platform state \([0-9.]*\) ms.*/\1/p' <<< "$line")
            devices=$(sed -n 's/.*devices \([0-9.]*\) ms;.*/\1/p' <<< "$line")
            vms=$(sed -n 's/.* in \([0-9]*\) ms$/\1/p' <<< "$verify")
            jit=$(sed -n 's/.*; JIT (all threads) \([0-9]*\) methods.*/\1/p' <<< "$line")
            local taken since_open restore_ms answered load1
            taken=$(sed -n 's/.*(request taken \([0-9.]*\) ms.*/\1/p' <<< "$line")
            since_open=$(sed -n 's/.* \([0-9.]*\) ms since the file was opened.*/\1/p' <<< "$line")
            restore_ms=$(sed -n 's/.* devices in \([0-9.]*\) ms (format.*/\1/p' <<< "$line")
            answered=$(sed -n 's/.*, answered \([0-9.]*\) ms after connecting.*/\1/p' "$out" | tail -n 1)
            load1=$(cut -d' ' -f1 /proc/loadavg)
            echo "$name $cache $mode #$run: restore-to-running $r2r ms (${taken:+request taken $taken, }build $build, records $records, memory $memory, state $state, devices $devices, JIT $jit methods), command $cmd_ms ms${answered:+, answered $answered ms after connecting}${prep_ms:+, prepare $prep_ms ms}; load $load1; $verify"
            [ "$run" -gt 0 ] && printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mem" "$fill" "$cache" "$mode" "$run" "$r2r" "$build" \
                "$records" "$memory" "$state" "$devices" "$mapped" "$cmd_ms" "$bytes" "$alloc" "$save_ms" "${vms:-}" "$prep_ms" "$jit" \
                "$taken" "$since_open" "$restore_ms" "$answered" "$load1" >> "$RES/raw.tsv"
            cp "$out" "$RES/logs/$name.$cache.$mode.$run.restore.txt"
            [ "$mode" = prepared ] && cp "$S/$name.prepare.txt" "$RES/logs/$name.$cache.$mode.$run.prepare.txt"
            pid=$(cat "$dir/pid" 2>/dev/null)
            $XENON destroy "$name" > /dev/null 2>&1
            for ((i = 0; i < 300; i++)); do [ -n "$pid" ] && [ -d "/proc/$pid" ] || break; sleep 0.1; done
            kill %% 2>/dev/null
        done
      done
    done
    rm -f "$file"
}

for size in "$@"; do
    one_size "$size" 0
    [ "$FILL" -gt 0 ] && one_size "$size" "$FILL"
done
wait
cat "$RES/raw.tsv"
