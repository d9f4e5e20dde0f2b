#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the guest/nested-host builders need.
# Idempotent: does nothing when everything is present.
set -euo pipefail
pkgs=(gcc libc6-dev linux-libc-dev binutils qemu-system-x86 qemu-utils debootstrap busybox-static
      e2fsprogs cpio kmod zstd lz4 xz-utils rsync iproute2 acpica-tools procps xenstore-utils)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v dotnet >/dev/null 2>&1; then
    echo "install-deps: the .NET 10 SDK (dotnet) is not on PATH; this machine kind ships it" >&2
    exit 1
fi
