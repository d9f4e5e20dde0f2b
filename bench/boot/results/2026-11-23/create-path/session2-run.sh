#!/usr/bin/env bash
# session 2: create path A/B (base-aot = HEAD, aot = this change), foreground up to the build (kernel not a bzImage),
# then detached creates with the real guest. Everything traced (XENON_TRACE=1).
set -u
OUT=out; mkdir -p $OUT
. ./probe.sh
echo "s2: $(date -u +%FT%TZ) $(uptime)"
head -c 4096 /dev/zero > notakernel
mk() { cat > "$1" <<EOC
name = "bench"
memory = 256
vcpus = 1
kernel = "$2"
ramdisk = "/opt/guest/initrd.img"
extra = "console=ttyS0 quiet -- true"
on_reboot = "destroy"
on_crash = "destroy"
EOC
}
mk $OUT/fail.cfg "$PWD/notakernel"
mk $OUT/bench.cfg /opt/guest/vmlinuz
export XENON_TRACE=1
for b in base-aot aot; do probe_run $OUT/warm-$b.log 262144 ./bin-$b/xenon create -F -c $OUT/fail.cfg; done
N=${N:-20}
for ((i = 1; i <= N; i++)); do
    if ((i % 2)); then order="base-aot aot"; else order="aot base-aot"; fi
    for b in $order; do
        probe_run $OUT/fail-$b-$i.log 262144 ./bin-$b/xenon create -F -c $OUT/fail.cfg
        echo "fail $b $i: rc=$P_RC first=$P_FIRST exit=$P_EXIT"
    done
done
for ((i = 1; i <= ${ND:-4}; i++)); do
    if ((i % 2)); then order="base-aot aot"; else order="aot base-aot"; fi
    for b in $order; do
        n=d$b$i
        probe_run $OUT/detached-$b-$i.log 262144 ./bin-$b/xenon create $OUT/bench.cfg name=$n
        echo "detached $b $i: rc=$P_RC first=$P_FIRST exit=$P_EXIT"
        ./bin-$b/xenon destroy $n > /dev/null 2>&1
        cp /var/log/xenon/$n.log $OUT/detached-$b-$i.domain.log 2>/dev/null
    done
done
echo "s2: done $(date -u +%FT%TZ) $(uptime)"
sync
