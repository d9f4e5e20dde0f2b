#!/bin/bash
# bench/softcpu: the soft backend (Xenon.Emulator) on this host, no KVM needed.
# usage: bash bench/softcpu/run.sh [GUEST (default count64)] [SECONDS (default 10)]
#          instructions per second on a machine-test guest (tests/Xenon.System.Tests/Machine/guests/GUEST.S)
#        bash bench/softcpu/run.sh boot [KERNEL-DIR (default /var/cache/xenon/guest/current)] [SECONDS (default 300)]
#          the default guest's kernel and initrd to its shell marker (XENON-SHELL), times per marker; serial log in $out
#        bash bench/softcpu/run.sh compare [RUNS (default 3)] [KERNEL-DIR]
#          boot-to-marker side by side: the soft backend (boot mode above) and QEMU TCG (-M pc and -M microvm, installed
#          if missing; qemu-boot.sh) on the same kernel, initrd and command line ($XENON_SOFTCPU_CMDLINE, default
#          "console=ttyS0 panic=-1 quiet"), RUNS boots each, interleaved; medians, the soft CPU's instructions/s, and the
#          CPU seconds each side used to the shell (wall time on a loaded host mostly measures the load).
# Builds Release with tiered PGO; the first seconds run at JIT tier 0 and are slower (see docs/emulator.md).
# XENON_SOFTCPU_IL=0 turns the IL tier off (the fast-path interpreter alone), XENON_SOFTCPU_IL_THRESHOLD=N sets the
# executions before a block is translated (default 20000); the boot mode prints what the tier translated and ran.
# XENON_SOFTCPU_IL_EARLY=N / XENON_SOFTCPU_IL_EARLY_WINDOW=M translate a block at N runs if it got there within M
# instructions (default 5000 / 50000000; N=0 off); XENON_SOFTCPU_CHAIN_INTERP=0 stops chaining from interpreted blocks.
# XENON_SOFTCPU_IL_REGION=0 translates each block alone (no regions of a block and its warm successors in one method);
# XENON_SOFTCPU_IL_REGION_BLOCKS=N (default 8) and XENON_SOFTCPU_IL_REGION_RUNS=N (default 1000) tune them.
# XENON_SOFTCPU_CHAIN_RECENT=0 sends a block end neither successor slot holds (a RET to a third caller) back through Run
# instead of looking it up in the recent-block array; the boot mode prints both counts ("dispatch:").
# XENON_SOFTCPU_LINK_EPOCH=0 checks the next block's page generation and TLB entry in full at every step between blocks
# instead of only when the link epoch moved; the boot mode prints both counts ("link epoch:").
# XENON_SOFTCPU_RMW_HOST=0 sends the fast path's read-modify-writes on memory the slow way (translate, read, write)
# instead of through the TLB entry's host pointer; the boot mode prints how many went direct ("fast path:").
# XENON_SOFTCPU_IL_ASYNC=0 translates hot blocks on the vCPU's own thread instead of the background translator thread
# (the blocks then wait for the JIT instead of running interpreted meanwhile); the boot mode prints what was queued and
# installed ("async") and each thread's CPU seconds ("threads' CPU time": vcpu0 is the boot's critical path).
# XENON_SOFTCPU_IL_TLB=0 makes translations call the host-access helpers instead of probing the TLB in IL; with
# XENON_SOFTCPU_JITCOST=ROUNDS the boot mode then translates vCPU 0's blocks again, both ways alternately, and prints the
# JIT's thread CPU time for each (and its fit per block: microseconds + nanoseconds per IL byte).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${TMPDIR:-/tmp}/xenon-softcpu-bench
mkdir -p "$out"
dotnet build "$here/SoftCpuBench.csproj" -c Release -o "$out/bin" 2>&1 | grep -E " error |rror\(s\)" | sort -u || true
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${1:-}" = compare ]; then
    runs=${2:-3}
    dir=${3:-/var/cache/xenon/guest/current}
    export XENON_SOFTCPU_CMDLINE=${XENON_SOFTCPU_CMDLINE:-console=ttyS0 panic=-1 quiet}
    echo "kernel: $dir ($(cat "$dir/version" 2>/dev/null || echo '?')); cmdline: $XENON_SOFTCPU_CMDLINE; $runs runs each"
    echo "qemu: $( (command -v qemu-system-x86_64 >/dev/null && qemu-system-x86_64 --version | head -1) || echo 'not installed yet')"
    res=$out/compare
    rm -rf "$res"; mkdir -p "$res"
    for i in $(seq 1 "$runs"); do
        dotnet "$out/bin/SoftCpuBench.dll" boot "$dir" 600 "$res/soft-$i.log" "$XENON_SOFTCPU_CMDLINE" > "$res/soft-$i.txt" || true
        awk -v i="$i" '/^XENON-INIT-OK|^XENON-SHELL|instructions in/ {print "  soft run " i ": " $0}' "$res/soft-$i.txt"
        for m in pc microvm; do
            bash "$here/qemu-boot.sh" "$m" "$dir" "$XENON_SOFTCPU_CMDLINE" 300 "$res/qemu-$m-$i.log" > "$res/qemu-$m-$i.txt"
            echo "  qemu $m run $i: $(tr '\n' ' ' < "$res/qemu-$m-$i.txt")"
        done
        echo "  load $(cut -d' ' -f1-3 /proc/loadavg)"
    done
    # soft-N.txt: "XENON-SHELL     33.1 s" and "1701 M instructions in 33.1 s: 51.4 M/s; ..."
    median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
    soft() { cat "$res"/soft-*.txt | awk -v m="$1" '$1 == m && $3 == "s" {print $2}' | median; }
    qemu() { cat "$res"/qemu-"$1"-*.txt | awk -v m="$2" '$1 == m && $2 != "not-reached" {printf "%.2f\n", $2}' | median; }
    mips=$(cat "$res"/soft-*.txt | awk '/instructions in/ {sub(":", "", $6); print $7}' | median)
    minstr=$(cat "$res"/soft-*.txt | awk '/instructions in/ {print $1}' | median)
    printf '\nmedian seconds to      %-14s %-14s\n' XENON-INIT-OK XENON-SHELL
    printf '%-22s %-14s %-14s\n' "xenon soft" "$(soft XENON-INIT-OK)" "$(soft XENON-SHELL)" \
        "qemu tcg -M pc" "$(qemu pc XENON-INIT-OK)" "$(qemu pc XENON-SHELL)" \
        "qemu tcg -M microvm" "$(qemu microvm XENON-INIT-OK)" "$(qemu microvm XENON-SHELL)"
    echo "soft CPU: median $minstr M instructions to the shell, $mips M instructions/s over the boot (idle included)"
    # CPU seconds rather than wall seconds: what each side needed, whatever share of the cores the host's load left it.
    softcpu=$(cat "$res"/soft-*.txt | awk '/^process CPU time/ {print $4}' | median)
    qcpu() { cat "$res"/qemu-"$1"-*.txt | awk '$1 == "CPU-SECONDS" && $2 != "?" {print $2}' | median; }
    echo "median CPU seconds to the shell: xenon soft $softcpu, qemu tcg -M pc $(qcpu pc), -M microvm $(qcpu microvm)"
    echo "logs: $res"
    exit 0
fi
if [ "${1:-}" = boot ]; then
    dir=${2:-/var/cache/xenon/guest/current}
    exec dotnet "$out/bin/SoftCpuBench.dll" boot "$dir" "${3:-300}" "$out/boot-serial.log"
fi
guest=${1:-count64}
seconds=${2:-10}
src="$root/tests/Xenon.System.Tests/Machine/guests"
as --32 -I "$src" -o "$out/$guest.o" "$src/$guest.S"
ld -m elf_i386 -Ttext=0x1000 -e 0x1000 -o "$out/$guest.elf" "$out/$guest.o"
objcopy -O binary -j .text "$out/$guest.elf" "$out/$guest.bin"
exec dotnet "$out/bin/SoftCpuBench.dll" "$out/$guest.bin" "$seconds"
