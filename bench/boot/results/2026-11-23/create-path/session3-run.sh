#!/usr/bin/env bash
# session 3: how much the nested host's one CPU idles during a boot (idle jiffies from /proc/stat, builtins only),
# and detached creates (base-aot = HEAD, aot = this change), traced.
set -u
OUT=out; mkdir -p $OUT
. ./probe.sh
echo "s3: $(date -u +%FT%TZ) $(uptime) HZ=$(getconf CLK_TCK)"
mk() { cat > "$1" <<EOC
name = "$3"
memory = 256
vcpus = 1
kernel = "$2"
ramdisk = "/opt/guest/initrd.img"
extra = "console=ttyS0 quiet -- true"
on_reboot = "destroy"
on_crash = "destroy"
EOC
}
mk $OUT/bench.cfg /opt/guest/vmlinuz bench
stat_cpu() { local cpu; read -r cpu U N S I W Q SQ ST _ < /proc/stat; }
export XENON_TRACE=1
probe_run $OUT/warm.log 262144 ./bin-aot/xenon create -F -c $OUT/bench.cfg
for i in 1 2 3; do
    for b in base-aot aot; do
        stat_cpu; u0=$U n0=$N s0=$S i0=$I w0=$W q0=$Q sq0=$SQ
        probe_run $OUT/boot-$b-$i.log 262144 ./bin-$b/xenon create -F -c $OUT/bench.cfg
        stat_cpu
        echo "boot $b $i: rc=$P_RC init=$P_INIT exit=$P_EXIT pause=$P_PAUSE jiffies user=$((U-u0+N-n0)) system=$((S-s0)) idle=$((I-i0)) iowait=$((W-w0)) irq=$((Q-q0+SQ-sq0))"
    done
done
for i in 1 2 3 4; do
    if ((i % 2)); then order="base-aot aot"; else order="aot base-aot"; fi
    for b in $order; do
        n=d${b//-/}$i
        mk $OUT/$n.cfg /opt/guest/vmlinuz $n
        probe_run $OUT/detached-$b-$i.log 262144 ./bin-$b/xenon create $OUT/$n.cfg
        echo "detached $b $i: rc=$P_RC first=$P_FIRST exit=$P_EXIT"
        ./bin-$b/xenon destroy $n > /dev/null 2>&1
        sleep 1
        cp /var/log/xenon/$n.log $OUT/detached-$b-$i.domain.log 2>/dev/null
    done
done
echo "s3: done $(date -u +%FT%TZ) $(uptime)"
sync
