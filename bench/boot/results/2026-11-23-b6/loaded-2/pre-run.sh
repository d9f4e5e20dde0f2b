#!/usr/bin/env bash
# pre2/run.sh OUT - inside L1, from the bench work dir: gate scenarios on the new build, then one traced
# initcall_debug boot of each build and of microvm (twice).
set -uo pipefail
OUT=$1
mkdir -p "$OUT/scen"
SCENARIO_TIMEOUT=300 GUEST_DIR=/opt/guest XENON=./bin-aot/xenon bash pre/run-scenarios.sh pre/scenarios "$OUT/scen" \
    boot-marker reboot poweroff power-button smp vcpu-set save-restore
for f in "$OUT"/scen/*.rc; do echo "scenario $(basename "$f" .rc): rc=$(cat "$f") $(cat "${f%.rc}.time" 2>/dev/null)s"; done

. bench/probe.sh
G=/opt/guest MEM=256
DIAG='console=ttyS0 quiet initcall_debug -- dmesg | gzip -9 | base64; echo B64-END'
cat > "$OUT/diag.cfg" <<C
name = "diag"
memory = $MEM
vcpus = 1
kernel = "$G/vmlinuz"
ramdisk = "$G/initrd.img"
extra = "$DIAG"
on_reboot = "destroy"
on_crash = "destroy"
C
export XENON_TRACE=1
for r in 1 2; do
  for b in bin-aot bin-base-aot; do
    probe_run "$OUT/$b-diag-$r.log" $((MEM*1024)) ./$b/xenon create -F -c "$OUT/diag.cfg"
    echo "pre: $b $r rc=$P_RC init=$P_INIT"
  done
  probe_run "$OUT/microvm-diag-$r.log" $((MEM*1024)) qemu-system-x86_64 -M microvm,rtc=on -accel kvm -cpu host -m $MEM -smp 1 -nodefaults -no-user-config -nographic -monitor none -serial stdio -no-reboot -kernel $G/vmlinuz -initrd $G/initrd.img -append "$DIAG"
  echo "pre: microvm $r rc=$P_RC init=$P_INIT"
done
