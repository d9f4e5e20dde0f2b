#!/usr/bin/env bash
# build-host.sh - the nested host ("L1"): a Debian VM that QEMU runs under TCG with an emulated
# AMD CPU with SVM, so that its kvm_amd gives a real /dev/kvm on machines without hardware
# virtualisation. nested/run.sh boots it; see docs/testing.md.
#
# Output in $XENON_CACHE/nested/:
#   vmlinuz      Debian's cloud kernel (the same package as the test guest)
#   initrd.cpio  stage 1 (nested/l1/stage1-init): static busybox + virtio/overlay/kvm modules
#   rootfs.img   ext4 (read-only in L1, under a tmpfs overlay): debootstrap bookworm minbase +
#                qemu-system-x86, busybox, kmod, procps, iproute2, e2fsprogs, libicu72, libssl3;
#                the kernel's kvm/virtio/tun/bridge/veth/vhost modules with depmod; the host's
#                .NET runtime (muxer + Microsoft.NETCore.App) in /usr/share/dotnet; the default
#                guest (guest/build-guest.sh) in /opt/guest
#   stamp        the build key and what went in
# The key hashes these scripts and every input version (kernel, rootfs packages, .NET runtime,
# guest build); the debootstrap tree is cached separately by the rootfs package versions.
# Prints the output directory on stdout. Env: XENON_CACHE, FORCE=1, XENON_DEBIAN_MIRROR.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
XLOG_TAG=build-host
# shellcheck source=../guest/lib/debian.sh
. "$REPO/guest/lib/debian.sh"

[ "$(id -u)" = 0 ] || xdie "must run as root (debootstrap, mknod)"

SUITE=bookworm
ROOTFS_PKGS="qemu-system-x86 busybox kmod procps iproute2 e2fsprogs libicu72 libssl3 socat xenstore-utils"
STAGE1_MODULES="virtio_pci virtio_mmio virtio_blk virtio_console overlay kvm_amd"
ROOTFS_MODULES="kvm_amd kvm irqbypass virtio_pci virtio_mmio virtio_blk virtio_net virtio_console virtio_rng
virtio_balloon vhost_net vhost_vsock vsock tun tap veth bridge overlay loop fuse"
OUTDIR=$XENON_CACHE/nested
BUILDDIR=$XENON_CACHE/nested-build

ensure_host_packages debootstrap e2fsprogs busybox-static cpio kmod lz4 zstd xz-utils qemu-system-x86 rsync
apt_refresh

mkdir -p "$OUTDIR" "$BUILDDIR"
exec 9>"$OUTDIR/.lock"
flock 9   # one builder at a time; a second caller waits and then finds the result up to date

# ------------------------------------------------------------------ inputs
GUEST=$(bash "$REPO/guest/build-guest.sh") || xdie "guest/build-guest.sh failed"

# The .NET runtime our net10.0 build runs on: the newest installed Microsoft.NETCore.App 10.x.
command -v dotnet >/dev/null || xdie "no dotnet on PATH: the nested host carries the host's .NET runtime"
rt_line=$(dotnet --list-runtimes | grep '^Microsoft.NETCore.App 10\.' | sort -V -k2,2 | tail -1)
[ -n "$rt_line" ] || xdie "no Microsoft.NETCore.App 10.x runtime installed (dotnet --list-runtimes)"
RTVER=$(awk '{print $2}' <<<"$rt_line")
RTDIR=$(sed -n 's/.*\[\(.*\)\]$/\1/p' <<<"$rt_line")/$RTVER
DOTNET_HOME=$(cd "$RTDIR/../../.." && pwd)
[ -x "$DOTNET_HOME/dotnet" ] && [ -d "$DOTNET_HOME/host/fxr" ] || xdie "no dotnet muxer/hostfxr beside $RTDIR"

SCRIPTS_HASH=$(files_hash "$HERE/build-host.sh" "$HERE/l1/stage1-init" "$REPO/guest/lib/debian.sh")
have_outputs() { [ -f "$OUTDIR/stamp" ] && [ -f "$OUTDIR/rootfs.img" ] && [ -f "$OUTDIR/initrd.cpio" ] && [ -f "$OUTDIR/vmlinuz" ]; }

# Fast path: same scripts, apt lists, runtime and guest as the last successful build.
SNAPSHOT=$(printf '%s\n' "$SCRIPTS_HASH" "$(apt_lists_snapshot)" "$rt_line" "$(readlink -f "$GUEST")" | sha256sum | cut -c1-16)
if [ "${FORCE:-0}" != 1 ] && have_outputs && [ "$(cat "$OUTDIR/snapshot" 2>/dev/null)" = "$SNAPSHOT" ]; then
    xlog "up to date: $OUTDIR"
    echo "$OUTDIR"
    exit 0
fi

ABI=$(cloud_kernel_abi)
[ -n "$ABI" ] || xdie "apt-cache cannot resolve linux-image-cloud-amd64"
KPKG=linux-image-$ABI
# shellcheck disable=SC2086
VERSIONS=$(candidate_versions "$KPKG" busybox-static $ROOTFS_PKGS)
KVER=$(sed -n "s/^$KPKG=//p" <<<"$VERSIONS")
BBVER=$(sed -n 's/^busybox-static=//p' <<<"$VERSIONS")
pkg_versions=$(grep -v -e "^$KPKG=" -e '^busybox-static=' <<<"$VERSIONS" | tr '\n' ' ')

# Bump BASE_RECIPE when the debootstrap step below changes: the base tree is keyed by it and the
# package versions only, so edits elsewhere in this script do not redo the slowest step.
BASE_RECIPE=1
BASE_KEY=$(printf '%s\n' "$SUITE" "$pkg_versions" "$BASE_RECIPE" | sha256sum | cut -c1-12)
KEY=$(printf '%s\n' "$SCRIPTS_HASH" "$KPKG=$KVER" "busybox-static=$BBVER" "$BASE_KEY" "dotnet=$RTVER" \
      "guest=$(readlink -f "$GUEST")" | sha256sum | cut -c1-16)

if [ "${FORCE:-0}" != 1 ] && have_outputs && [ "$(head -1 "$OUTDIR/stamp")" = "key: $KEY" ]; then
    xlog "up to date: $OUTDIR (key $KEY)"
    echo "$SNAPSHOT" > "$OUTDIR/snapshot"
    echo "$OUTDIR"
    exit 0
fi
T0=$(date +%s)
xlog "building (key $KEY)"

WORK=$(mktemp -d "$BUILDDIR/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ------------------------------------------------------------------ kernel
dpkg -x "$(fetch_deb "$KPKG" "$KVER")" "$WORK/kernel"
dpkg -x "$(fetch_deb busybox-static "$BBVER")" "$WORK/busybox"
MODDIR=$WORK/kernel/lib/modules/$ABI
cp "$WORK/kernel/boot/vmlinuz-$ABI" "$WORK/vmlinuz"

# ------------------------------------------------------------------ stage 1 initramfs
S=$WORK/stage1
mkdir -p "$S"/{bin,dev,proc,sys,lib/modules,nested}
cp "$WORK/busybox/bin/busybox" "$S/bin/busybox"
mknod -m 600 "$S/dev/console" c 5 1
mknod -m 666 "$S/dev/null" c 1 3
modules_reset
for m in $STAGE1_MODULES; do module_visit "$m"; done
: > "$S/lib/modules/load-order"
for f in "${XMOD_ORDER[@]}"; do
    b=$(module_copy_plain "$f" "$S/lib/modules")
    # Nested SVM inside L1 would be a third level; L1 only needs to run our VMM's guests.
    case $b in kvm-amd.ko|kvm_amd.ko) echo "$b nested=0" ;; *) echo "$b" ;; esac >> "$S/lib/modules/load-order"
done
cp "$HERE/l1/stage1-init" "$S/init"
chmod 755 "$S/init"
make_cpio "$S" "$WORK/initrd.cpio"

# ------------------------------------------------------------------ rootfs: debootstrap (cached)
BASE=$BUILDDIR/rootfs-$BASE_KEY
if [ ! -f "$BASE/.debootstrap-ok" ]; then
    MIRROR=${XENON_DEBIAN_MIRROR:-}
    if [ -z "$MIRROR" ]; then
        # the mirror apt already uses for bookworm main (deb822 or one-line sources)
        MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *\(.*debian\/*\)$/\1/p' | grep -v security | head -1)
        [ -n "$MIRROR" ] || MIRROR=$(sed -n 's/^deb \(http[^ ]*\) bookworm main.*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
        MIRROR=${MIRROR:-http://deb.debian.org/debian}
    fi
    rm -rf "$BUILDDIR"/rootfs-*   # older bases are of no further use
    xlog "debootstrap $SUITE minbase from $MIRROR (+ $ROOTFS_PKGS)"
    debootstrap --variant=minbase --include="${ROOTFS_PKGS// /,}" "$SUITE" "$BASE" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
        || { tail -30 "$WORK/debootstrap.log" >&2; rm -rf "$BASE"; xdie "debootstrap failed"; }
    chroot "$BASE" apt-get clean
    rm -rf "$BASE"/var/lib/apt/lists/* "$BASE"/usr/share/doc/* "$BASE"/usr/share/man/* "$BASE"/usr/share/info/* \
           "$BASE"/usr/share/locale/* "$BASE"/var/log/*.log "$BASE"/var/cache/debconf/*-old
    # firmware for guest architectures other than x86 that qemu-system-data ships
    (cd "$BASE/usr/share/qemu" && rm -rf openbios-* opensbi-* s390-* skiboot.lid slof.bin hppa-firmware.img \
        palcode-clipper ./*.dtb u-boot* npcm7xx_bootrom.bin QEMU,cgthree.bin QEMU,tcx.bin vof.bin)
    touch "$BASE/.debootstrap-ok"
fi

# ------------------------------------------------------------------ rootfs: our layer
R=$WORK/rootfs
xlog "assembling rootfs"
cp -a "$BASE" "$R"
rm -f "$R/.debootstrap-ok"

modules_reset
OPTIONAL=1
for m in $ROOTFS_MODULES; do module_visit "$m"; done
OPTIONAL=0
mkdir -p "$R/usr/lib/modules/$ABI"
for f in "${XMOD_ORDER[@]}"; do
    rel=${f#"$MODDIR"/}
    mkdir -p "$R/usr/lib/modules/$ABI/$(dirname "$rel")"
    cp "$f" "$R/usr/lib/modules/$ABI/$rel"
done
cp "$MODDIR"/modules.builtin* "$MODDIR"/modules.order "$R/usr/lib/modules/$ABI/"
depmod -b "$R" "$ABI"
mkdir -p "$R/etc/modprobe.d"
echo "options kvm_amd nested=0" > "$R/etc/modprobe.d/xenon-nested.conf"

D=$R/usr/share/dotnet
mkdir -p "$D/shared/Microsoft.NETCore.App"
cp -a "$DOTNET_HOME/dotnet" "$DOTNET_HOME/host" "$D/"
cp -a "$RTDIR" "$D/shared/Microsoft.NETCore.App/"
ln -sfn ../share/dotnet/dotnet "$R/usr/bin/dotnet"

mkdir -p "$R/opt/guest"
cp "$GUEST"/{vmlinuz,vmlinux,initrd.img,version} "$R/opt/guest/"   # vmlinux: for the PVH-entry scenario
echo xenon-l1 > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 xenon-l1\n' > "$R/etc/hosts"

# ------------------------------------------------------------------ images
sz=$(( $(du -sm "$R" | cut -f1) * 105 / 100 + 64 ))
mke2fs -q -t ext4 -O ^has_journal -m 0 -L xenon-l1 -E lazy_itable_init=0 -d "$R" "$WORK/rootfs.img" "${sz}M" >/dev/null
{
    echo "key: $KEY"
    echo "built: $(date -u +%FT%TZ) in $(( $(date +%s) - T0 )) s"
    echo "kernel: $KPKG $KVER"
    echo "rootfs packages: $pkg_versions"
    echo "dotnet: Microsoft.NETCore.App $RTVER from $DOTNET_HOME"
    echo "guest: $(readlink -f "$GUEST")"
    echo "stage1 modules: $(tr '\n' ' ' < "$S/lib/modules/load-order")"
    echo "rootfs.img: ${sz} MiB apparent, $(du -m "$WORK/rootfs.img" | cut -f1) MiB allocated"
} > "$WORK/stamp"

# stamp last: a build interrupted before this point is never taken for a finished one
rm -f "$OUTDIR/stamp" "$OUTDIR/snapshot"
mv "$WORK/vmlinuz" "$WORK/initrd.cpio" "$WORK/rootfs.img" "$OUTDIR/"
mv "$WORK/stamp" "$OUTDIR/stamp"
echo "$SNAPSHOT" > "$OUTDIR/snapshot"
xlog "built $OUTDIR in $(( $(date +%s) - T0 )) s"
sed 's/^/   /' "$OUTDIR/stamp" >&2
echo "$OUTDIR"
