#!/usr/bin/env bash
# build-guest.sh - the default Xenon test guest, made only from Debian packages.
#
# Output: $XENON_CACHE/guest/current -> $XENON_CACHE/guest/<kernel-abi>-<key>/ holding
#   vmlinuz     Debian's cloud kernel bzImage, unchanged
#   vmlinux     the same kernel decompressed (ELF, carries the PVH entry note)
#   initrd.img  gzip newc cpio: busybox-static, virtio/pvpanic/button/evdev modules, /init
#   version     the kernel ABI name (e.g. 6.1.0-56-cloud-amd64), one line
#   build-info  package versions, module load order, key
# <key> hashes this script, guest/lib/debian.sh and the kernel and busybox package versions: a
# new Debian kernel or an edited script gives a new directory; an unchanged one is reused.
# Prints the output directory on stdout (all logging goes to stderr).
#
# The guest's /init (see write_init below):
#   XENON-INIT-OK first; mounts proc/sys/devtmpfs; loads the modules; XENON-MODS-OK;
#   with arguments after " -- " on the kernel command line: runs them with sh -c, prints
#   "XENON-CMD-RC <rc>" and powers off; without: starts acpid (power button -> poweroff) and an
#   interactive shell on the console, powering off when the shell exits.
#
# Env: XENON_CACHE (default /var/cache/xenon), XENON_APT_MAX_AGE (seconds, default 21600),
#      FORCE=1 (rebuild even when the key matches). Needs root (apt-get, mknod).
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
XLOG_TAG=build-guest
# shellcheck source=lib/debian.sh
. "$HERE/lib/debian.sh"

[ "$(id -u)" = 0 ] || xdie "must run as root (apt-get, mknod)"

# Modules the guest loads. evdev before button so the power button's input device gets an
# event node the moment button.ko registers it.
GUEST_MODULES="virtio_pci virtio_mmio virtio_blk virtio_net virtio_console virtio_balloon virtio_rng
vmw_vsock_virtio_transport pvpanic_mmio pvpanic_pci evdev button"

ensure_host_packages kmod cpio gzip lz4 zstd xz-utils
apt_refresh
G=$XENON_CACHE/guest
mkdir -p "$G"
exec 9>"$G/.lock"
flock 9   # one builder at a time; a second caller waits and then finds the result up to date

publish() {  # point current at $OUT atomically
    ln -sfn "$(basename "$OUT")" "$G/.current.new"
    mv -T "$G/.current.new" "$G/current"
    printf '%s %s\n' "$SNAPSHOT" "$(basename "$OUT")" > "$G/.snapshot"
    echo "$OUT"
}

# Fast path: same scripts and same apt lists as the last successful run.
SNAPSHOT=$(printf '%s %s' "$(files_hash "$HERE/build-guest.sh" "$HERE/lib/debian.sh")" "$(apt_lists_snapshot)")
if [ "${FORCE:-0}" != 1 ] && [ -f "$G/.snapshot" ]; then
    read -r snap dir < "$G/.snapshot" || true
    if [ "$snap" = "$SNAPSHOT" ] && [ -f "$G/$dir/.complete" ]; then
        OUT=$G/$dir
        xlog "up to date: $OUT"
        publish
        exit 0
    fi
fi

ABI=$(cloud_kernel_abi)
[ -n "$ABI" ] || xdie "apt-cache cannot resolve linux-image-cloud-amd64 (is bookworm main configured?)"
KPKG=linux-image-$ABI
VERSIONS=$(candidate_versions "$KPKG" busybox-static)
KVER=$(sed -n "s/^$KPKG=//p" <<<"$VERSIONS")
BBVER=$(sed -n 's/^busybox-static=//p' <<<"$VERSIONS")

KEY=$(printf '%s\n' "$(files_hash "$HERE/build-guest.sh" "$HERE/lib/debian.sh")" "$KPKG=$KVER" "busybox-static=$BBVER" \
      | sha256sum | cut -c1-12)
OUT=$G/$ABI-$KEY

if [ -f "$OUT/.complete" ] && [ "${FORCE:-0}" != 1 ]; then
    xlog "up to date: $OUT"
    publish
    exit 0
fi

BUILD=$(mktemp -d "$G/.build.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT

KDEB=$(fetch_deb "$KPKG" "$KVER")
BBDEB=$(fetch_deb busybox-static "$BBVER")
xlog "kernel $KPKG $KVER, busybox-static $BBVER"
dpkg -x "$KDEB" "$BUILD/kernel"
dpkg -x "$BBDEB" "$BUILD/busybox"
MODDIR=$BUILD/kernel/lib/modules/$ABI
BB=$BUILD/busybox/bin/busybox
[ -x "$BB" ] || xdie "busybox-static has no bin/busybox"

R=$BUILD/out
mkdir -p "$R"
cp "$BUILD/kernel/boot/vmlinuz-$ABI" "$R/vmlinuz"
extract_vmlinux "$R/vmlinuz" "$R/vmlinux"

# ------------------------------------------------------------------ initramfs tree
T=$BUILD/initramfs
mkdir -p "$T"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,lib/modules,etc/acpi/PWRF,var/log,var/run}
cp "$BB" "$T/bin/busybox"
for a in $("$BB" --list-full); do
    [ -e "$T/$a" ] || [ -L "$T/$a" ] || ln -s /bin/busybox "$T/$a"
done
mknod -m 600 "$T/dev/console" c 5 1
mknod -m 666 "$T/dev/null" c 1 3

modules_reset
for m in $GUEST_MODULES; do module_visit "$m"; done
: > "$T/lib/modules/load-order"
for f in "${XMOD_ORDER[@]}"; do
    module_copy_plain "$f" "$T/lib/modules" >> "$T/lib/modules/load-order"
done

# busybox acpid maps evdev KEY_POWER (value 1) to "button/power PWRF ..." and, with no action
# file, PWRF to "PWRF/00000080", which it runs relative to its config dir (/etc/acpi). A plain
# `poweroff` would only signal PID 1, and our PID 1 is a shell that ignores it, hence -f.
cat > "$T/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo XENON-POWER-BUTTON > /dev/console
sync
exec poweroff -f
EOF
chmod 755 "$T/etc/acpi/PWRF/00000080"

cat > "$T/init" <<'EOF'
#!/bin/sh
echo XENON-INIT-OK
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
    insmod "/lib/modules/$m" 2>/dev/null || echo "XENON-INSMOD-FAIL $m"
done < /lib/modules/load-order
echo XENON-MODS-OK
# The kernel hands everything after " -- " on its command line to init as argv.
if [ $# -gt 0 ]; then
    sh -c "$*"
    rc=$?
    echo "XENON-CMD-RC $rc"
    sync
    poweroff -f
    exit 0
fi
ln -sfn /proc/self/fd /dev/fd
[ -e /dev/input/event0 ] && acpid -c /etc/acpi -l /var/log/acpid.log
hostname xenon-guest
# busybox poweroff/reboot/halt without -f signal PID 1 (USR2/TERM/USR1), which is this shell:
# act on those as busybox init would. The shell runs in the background so a trapped signal can
# interrupt `wait`.
trap 'sync; poweroff -f' USR2 USR1
trap 'sync; reboot -f' TERM
echo "XENON-SHELL (exit, poweroff or the power button ends it)"
setsid cttyhack sh -l &
wait $!
sync
poweroff -f
EOF
chmod 755 "$T/init"
cat > "$T/etc/profile" <<'EOF'
export PS1='xenon-guest:\w# '
EOF

make_cpio "$T" "$BUILD/initrd.cpio"
gzip -9 -n -c "$BUILD/initrd.cpio" > "$R/initrd.img"
echo "$ABI" > "$R/version"
{
    echo "key: $KEY"
    echo "kernel: $KPKG $KVER"
    echo "busybox-static: $BBVER"
    echo "modules: $(tr '\n' ' ' < "$T/lib/modules/load-order")"
    echo "initrd.img: $(stat -c %s "$R/initrd.img") bytes"
} > "$R/build-info"
touch "$R/.complete"

rm -rf "$OUT"
mv "$R" "$OUT"
xlog "built $OUT ($(tr '\n' ';' < "$OUT/build-info"))"
publish
