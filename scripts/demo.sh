#!/usr/bin/env bash
# Builds everything and boots the default guest (Debian cloud kernel + busybox initramfs) with its
# console attached: type at the guest's shell; `poweroff` ends it; Ctrl-] detaches the console.
# With hardware-assisted KVM the guest runs on KVM. Without it (kvm_pvm or no /dev/kvm) it runs on
# Xenon's software CPU (accel = "auto" picks it; docs/emulator.md): slower, tens of seconds to the
# shell, but directly on this host.
# usage: bash scripts/demo.sh [--nested] [KEY=VALUE ...]   (xl.cfg overrides, e.g. 'memory=512')
#   --nested   without hardware KVM, run the guest on KVM inside the nested host instead (QEMU TCG
#              with an emulated SVM CPU; see docs/testing.md)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
nested=0
if [ "${1:-}" = --nested ]; then nested=1; shift; fi
bash scripts/install-deps.sh
guest=$(bash guest/build-guest.sh)
if why=$(bash nested/have-hw-kvm.sh); then hw=1; else hw=0; fi
echo "demo: $why" >&2
if [ $hw = 1 ] || [ $nested = 0 ]; then
    [ $hw = 1 ] || echo "demo: the guest runs on Xenon's software CPU (tens of seconds to its shell; --nested runs it on KVM inside the nested host)" >&2
    cfg=$(mktemp --suffix=.cfg)
    sed "s#@GUEST@#$guest#g" guest/default.cfg.in > "$cfg"
    exec ./xenon create -c "$cfg" "$@"
fi
echo "demo: running the default guest inside the nested host (slow: tens of seconds to boot)" >&2
work=$(mktemp -d)
dotnet publish src/Xenon.Cli/Xenon.Cli.csproj -c Release -o "$work/bin" -nologo -v q >/dev/null
sed "s#@GUEST@#/opt/guest#g" guest/default.cfg.in > "$work/default.cfg"
exec bash nested/run.sh -i -t 3600 "$work" -- ./bin/xenon create -F -c default.cfg "$@"
