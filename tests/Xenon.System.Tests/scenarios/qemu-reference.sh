#!/usr/bin/env bash
# Baseline and harness check: Debian's QEMU boots the same guest on the same /dev/kvm.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not installed"; exit $SKIP; }
[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit $SKIP; }
exec qemu-system-x86_64 -accel kvm -cpu host -M q35 -m 256 -smp 1 \
    -nodefaults -no-user-config -nographic -monitor none -serial stdio -no-reboot \
    -kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initrd.img" \
    -append 'console=ttyS0 quiet -- echo QEMU-REFERENCE nproc=$(nproc)'
