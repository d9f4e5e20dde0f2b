#!/usr/bin/env bash
# have-hw-kvm.sh - exit 0 when this host's /dev/kvm is hardware-assisted KVM (VT-x or AMD-V),
# which boots a stock Linux guest at speed; otherwise print why not and exit 1. The full-system
# tests run directly when this says yes and inside the nested host (nested/run.sh) when not.
set -euo pipefail

no() { echo "no hardware KVM: $*"; exit 1; }

[ -c /dev/kvm ] || no "/dev/kvm does not exist"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || no "/dev/kvm is not readable and writable by $(id -un)"
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
case " $flags " in
    *" vmx "*) vendor=intel ;;
    *" svm "*) vendor=amd ;;
    *) no "the CPU advertises neither vmx nor svm" ;;
esac
# kvm_pvm serves /dev/kvm without VT-x/AMD-V; it may be loaded beside kvm_intel/kvm_amd, so the
# question is which vendor module is loaded, not whether kvm_pvm is absent.
[ -d /sys/module/kvm_$vendor ] || {
    [ -d /sys/module/kvm_pvm ] && no "/dev/kvm is provided by kvm_pvm (no VT-x/AMD-V use)"
    no "the CPU has $vendor virtualisation but kvm_$vendor is not loaded"
}
# kvm_intel/kvm_amd may be built into the kernel: /sys/module still lists them then.
echo "hardware KVM: kvm_$vendor"
