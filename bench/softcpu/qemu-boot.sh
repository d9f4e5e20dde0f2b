#!/bin/bash
# bench/softcpu/qemu-boot.sh - the QEMU side of the software-CPU comparison: boots KERNEL-DIR/{vmlinuz,initrd.img}
# under QEMU TCG (no KVM) and prints the seconds from QEMU's start to each guest marker, as run.sh expects:
#   XENON-INIT-OK <s>
#   XENON-SHELL <s>        (or "not-reached" for either)
#   CPU-SECONDS <s>        (QEMU's user + system CPU time until the shell marker or the timeout)
# usage: qemu-boot.sh pc|microvm KERNEL-DIR CMDLINE [TIMEOUT-S (default 120)] [SERIAL-LOG]
# -M pc gets the command line as given (a PC with PIC, PIT, ACPI PM timer, like Xenon's soft machine); -M microvm
# also gets tsc_early_khz=<host kHz>, without which TCG's microvm hangs calibrating the TSC (it has no PIT port 0x61
# and no ACPI PM timer). One vCPU, 256 MiB, like the Xenon side.
set -euo pipefail
machine=$1 dir=$2 cmdline=$3 timeout=${4:-120} log=${5:-/dev/null}
command -v qemu-system-x86_64 >/dev/null || {
    echo "qemu-boot.sh: installing qemu-system-x86" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2 ||
        { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2; }
}
if [ "$machine" = microvm ]; then
    khz=$(awk -F: '/^cpu MHz/ {printf "%d", $2*1000; exit}' /proc/cpuinfo)
    cmdline="$cmdline tsc_early_khz=$khz"
fi
now() { date +%s.%N; }
start=$(now)
coproc QEMU { exec qemu-system-x86_64 -nodefaults -nographic -monitor none -serial stdio -no-reboot \
    -accel tcg -M "$machine" -m 256 -smp 1 \
    -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" -append "$cmdline" </dev/null 2>&1; }
qemu_pid=$QEMU_PID
t_init=not-reached t_shell=not-reached
deadline=$(echo "$start + $timeout" | bc)
while true; do
    left=$(echo "$deadline - $(now)" | bc)
    [ "$(echo "$left > 0" | bc)" = 1 ] || break
    IFS= read -r -t "$left" line <&"${QEMU[0]}" || break
    printf '%s\n' "$line" >> "$log"
    case $line in
        *XENON-INIT-OK*) t_init=$(echo "$(now) - $start" | bc) ;;
        *XENON-SHELL*) t_shell=$(echo "$(now) - $start" | bc); break ;;
    esac
done
# QEMU's CPU time (user + system, all its threads) up to here: comparable with the soft CPU's under a varying host load
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$qemu_pid/stat" 2>/dev/null || echo "?")
kill "$qemu_pid" 2>/dev/null || true
wait "$qemu_pid" 2>/dev/null || true
printf 'XENON-INIT-OK %s\nXENON-SHELL %s\nCPU-SECONDS %s\n' "$t_init" "$t_shell" "$cpu"
