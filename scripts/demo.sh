#!/usr/bin/env bash
# Builds everything and boots the default guest (Debian cloud kernel + busybox initramfs) with its
# console attached: type at the guest's shell; `poweroff` ends it; Ctrl-] detaches the console.
# Where the host has no hardware-assisted KVM (kvm_pvm or no /dev/kvm), says so and runs it inside
# the nested host (QEMU TCG with an emulated SVM CPU; see docs/testing.md).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/install-deps.sh
guest=$(bash guest/build-guest.sh)
if why=$(bash nested/have-hw-kvm.sh); then
    cfg=$(mktemp --suffix=.cfg)
    sed "s#@GUEST@#$guest#g" guest/default.cfg.in > "$cfg"
    exec ./xenon create -c "$cfg" "$@"
fi
echo "demo: $why" >&2
echo "demo: running the default guest inside the nested host (slow: tens of seconds to boot)" >&2
work=$(mktemp -d)
dotnet publish src/Xenon.Cli/Xenon.Cli.csproj -c Release -o "$work/bin" -nologo -v q >/dev/null
sed "s#@GUEST@#/opt/guest#g" guest/default.cfg.in > "$work/default.cfg"
exec bash nested/run.sh -i -t 3600 "$work" -- ./bin/xenon create -F -c default.cfg "$@"
