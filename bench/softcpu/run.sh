#!/bin/bash
# bench/softcpu: the soft backend (Xenon.Emulator) on this host, no KVM needed.
# usage: bash bench/softcpu/run.sh [GUEST (default count64)] [SECONDS (default 10)]
#          instructions per second on a machine-test guest (tests/Xenon.System.Tests/Machine/guests/GUEST.S)
#        bash bench/softcpu/run.sh boot [KERNEL-DIR (default /var/cache/xenon/guest/current)] [SECONDS (default 300)]
#          the default guest's kernel and initrd to its shell marker (XENON-SHELL), times per marker; serial log in $out
# Builds Release with tiered PGO; the first seconds run at JIT tier 0 and are slower (see docs/emulator.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${TMPDIR:-/tmp}/xenon-softcpu-bench
mkdir -p "$out"
dotnet build "$here/SoftCpuBench.csproj" -c Release -o "$out/bin" 2>&1 | grep -E " error |rror\(s\)" | sort -u || true
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
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
