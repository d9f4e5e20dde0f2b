#!/usr/bin/env bash
# B5 session 2: CPU per create, base-aot (HEAD) vs aot (this change). The create process's own CPU (bash `times`
# after it exits: user+sys of the only child) and its xenstored's CPU over the block (/proc/PID/stat, 10 ms ticks):
# on the nested host's one CPU the wall clock also counts other sessions' load on the build host, CPU time less so.
# 10 blocks of 6 `create -F -c` whose kernel is not a bzImage, each block behind the build's own xenstored.
# Then `help` (the NativeAOT start floor) 20 times each of base-aot and nodehy (HEAD built with IlcDehydrate=false).
set -u
OUT=out; mkdir -p $OUT
echo "s2: $(date -u +%FT%TZ) $(uptime)"
cat > $OUT/fail.cfg <<EOC
name = "bench"
memory = 256
vcpus = 1
kernel = "$PWD/$OUT/notakernel"
extra = "console=ttyS0 quiet -- true"
on_reboot = "destroy"
on_crash = "destroy"
EOC
head -c 8192 /dev/zero > $OUT/notakernel
XSPID=/var/run/xenstored/xenstored.pid
restart_xs() {
    [ -f $XSPID ] && kill "$(cat $XSPID)" 2>/dev/null
    for _ in $(seq 1 100); do [ -f $XSPID ] || break; sleep 0.1; done
    "./bin-$1/xenon" list > /dev/null 2>&1
}
ms() { local v=${1%s}; local m=${v%%m*}; local s=${v#*m}; echo $(( m * 60000 + 10#${s%.*} * 1000 + 10#${s#*.} )); }
one() {  # one create; prints wall_ms cpu_ms
    local out
    out=$( { t0=${EPOCHREALTIME/./}; "./bin-$1/xenon" create -F -c $OUT/fail.cfg </dev/null > "$2" 2>&1; t1=${EPOCHREALTIME/./}; echo "W $(( (t1 - t0) / 1000 ))"; times; } )
    local w c
    w=$(echo "$out" | awk '/^W/ {print $2}')
    c=$(echo "$out" | tail -1)
    echo "$w $(( $(ms "${c% *}") + $(ms "${c#* }") ))"
}
for blk in $(seq 1 10); do
    if ((blk % 2)); then order="base-aot aot"; else order="aot base-aot"; fi
    for b in $order; do
        restart_xs $b
        "./bin-$b/xenon" create -F -c $OUT/fail.cfg </dev/null > /dev/null 2>&1
        xp=$(cat $XSPID); x0=$(awk '{print $14+$15}' /proc/$xp/stat)
        for i in 1 2 3 4 5 6; do
            r=$(one $b $OUT/c-$b-$blk-$i.log)
            echo "create $b $blk $i: wall_ms=${r% *} cpu_ms=${r#* }"
        done
        x1=$(awk '{print $14+$15}' /proc/$xp/stat)
        echo "xenstored $b $blk: ticks=$((x1 - x0)) for 6 creates"
    done
done
for i in $(seq 1 20); do
    for b in base-aot nodehy; do
        out=$( { t0=${EPOCHREALTIME/./}; "./bin-$b/xenon" help > /dev/null 2>&1; t1=${EPOCHREALTIME/./}; echo "W $(( (t1 - t0) / 1000 ))"; times; } )
        c=$(echo "$out" | tail -1)
        echo "help $b $i: wall_ms=$(echo "$out" | awk '/^W/ {print $2}') cpu_ms=$(( $(ms "${c% *}") + $(ms "${c#* }") ))"
    done
done
echo "s2: done $(date -u +%FT%TZ) $(uptime)"
sync
