# shellcheck shell=bash
# Shared by the scenario scripts (sourced). A scenario's stdout+stderr and exit status are its
# result; the test in FullSystemTests.cs asserts on them.

# Exit status the runner reports as "skipped" (automake's convention).
SKIP=77

require_xenon() {
    if [ -z "${XENON:-}" ]; then
        echo "no xenon command: ${XENON_UNAVAILABLE:-XENON is not set}"
        exit 1
    fi
}

# xenon_boot NAME VCPUS MEMORY_MIB GUEST_COMMAND [extra xl.cfg line...]
# Boots the default guest in the foreground; the guest runs GUEST_COMMAND (its /init passes the
# words after " -- " to sh -c) and powers off. Exit status is xenon's: 0 powered off,
# 2 rebooted (on_reboot=destroy), 3 crashed, 1 error.
xenon_boot() {
    local name=$1 vcpus=$2 mem=$3 cmd=$4 cfg
    shift 4
    require_xenon
    cfg=$SCRATCH/$name.cfg
    {
        echo "name = \"$name\""
        echo "memory = $mem"
        echo "vcpus = $vcpus"
        echo "kernel = \"$GUEST_DIR/vmlinuz\""
        echo "ramdisk = \"$GUEST_DIR/initrd.img\""
        # quiet: every console byte is a port-I/O exit, about 100 us each when nested
        echo "cmdline = \"console=ttyS0 quiet -- $cmd\""
        echo "on_reboot = \"destroy\""
        echo "on_crash = \"destroy\""
        for line in "$@"; do echo "$line"; done
    } > "$cfg"
    echo "--- $cfg"
    cat "$cfg"
    echo "---"
    # shellcheck disable=SC2086  # XENON may be "dotnet /path/xenon.dll"
    $XENON create -F -c "$cfg"
}

# shell_guest_cfg NAME MEMORY_MIB: writes $SCRATCH/NAME.cfg for the default guest with no command
# (its /init gives a shell on ttyS0 and runs acpid), prints the path, and points the domain's
# runtime and log directories into $SCRATCH (for detached domains).
shell_guest_cfg() {
    local name=$1 mem=$2 cfg=$SCRATCH/$1.cfg
    cat > "$cfg" <<CFG
name = "$name"
memory = $mem
vcpus = 1
kernel = "$GUEST_DIR/vmlinuz"
ramdisk = "$GUEST_DIR/initrd.img"
cmdline = "console=ttyS0 quiet"
CFG
    echo "$cfg"
}
export XENON_RUN_DIR=${SCRATCH:-/tmp}/run XENON_LOG_DIR=${SCRATCH:-/tmp}/log

# script_disk IMAGE < script: writes a guest shell script into a raw image (padded to 1 MiB) so that a
# guest can run more than the kernel command line can carry (init takes at most 32 words): give the
# image as a read-only disk and run `sh /dev/vdX`. The script must end with `exit` (the padding is NULs).
script_disk() {
    cat > "$1"
    truncate -s 1M "$1"
}

# e2cat IMAGE PATH: a file's contents from an ext2/3/4 image, read on the host (debugfs, no mount).
e2cat() {
    debugfs -R "cat $2" "$1" 2>/dev/null
}
