#!/usr/bin/env bash
# Xen's PVH boot ABI: the ELF vmlinux entered at XEN_ELFNOTE_PHYS32_ENTRY with hvm_start_info.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
xenon_boot pvh 1 256 'echo BOOT=$(cat /sys/kernel/boot_params/version 2>/dev/null || echo none)' \
    "kernel = \"$GUEST_DIR/vmlinux\""
