#!/usr/bin/env bash
# B4 session 2: the create path, HEAD (2ae1274, base-aot) vs this change (aot), NativeAOT, XENON_TRACE=1:
# 16 interleaved pairs of `create -F -c` whose kernel is not a bzImage, then 2 detached creates of each.
set -u
OUT=out; mkdir -p $OUT
. bench/probe.sh
echo "s2: $(date -u +%FT%TZ) $(uptime)"
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
head -c 8192 /dev/zero > $OUT/notakernel
mk $OUT/fail.cfg "$PWD/$OUT/notakernel" bench
export XENON_TRACE=1
probe_run $OUT/warm.log 262144 ./bin-aot/xenon create -F -c $OUT/fail.cfg
probe_run $OUT/warm2.log 262144 ./bin-base-aot/xenon create -F -c $OUT/fail.cfg
for i in $(seq 1 16); do
    if ((i % 2)); then order="base-aot aot"; else order="aot base-aot"; fi
    for b in $order; do
        probe_run $OUT/fail-$b-$i.log 262144 ./bin-$b/xenon create -F -c $OUT/fail.cfg
        echo "fail $b $i: rc=$P_RC first=$P_FIRST exit=$P_EXIT"
    done
done
for i in 1 2; do
    for b in base-aot aot; do
        n=d${b//-/}$i
        mk $OUT/$n.cfg /opt/guest/vmlinuz $n
        probe_run $OUT/detached-$b-$i.log 262144 ./bin-$b/xenon create $OUT/$n.cfg
        echo "detached $b $i: rc=$P_RC first=$P_FIRST exit=$P_EXIT"
        sleep 2
        ./bin-$b/xenon destroy $n > /dev/null 2>&1
        sleep 1
        cp /var/log/xenon/$n.log $OUT/detached-$b-$i.domain.log 2>/dev/null
    done
done
echo "s2: done $(date -u +%FT%TZ) $(uptime)"
sync
