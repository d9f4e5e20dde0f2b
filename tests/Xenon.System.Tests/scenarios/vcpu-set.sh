#!/usr/bin/env bash
# xl vcpu-set through ACPI CPU hotplug: a guest built with vcpus=2, maxvcpus=4. `vcpu-set 4` makes CPUs 2
# and 3 present in the guest, which onlines them (what a udev rule does on a Xen HVM guest); `vcpu-set 2`
# makes the guest offline and eject them. vcpu-list, list's VCPUs column and XenStore's cpu/I/availability
# follow; counts outside 1..maxvcpus are refused and change nothing.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
export XENSTORED_PATH=$SCRATCH/xenstored/socket
have_xs() { command -v xenstore-read >/dev/null 2>&1; }
avail() { # the four availability nodes, or why they cannot be read
    local dom=$1 i v all=""
    have_xs || { echo "<no-xenstore-utils>"; return; }
    for i in 0 1 2 3; do v=$(xenstore-read "/local/domain/$dom/cpu/$i/availability" 2>/dev/null || echo missing); all="$all$v,"; done
    echo "${all%,}"
}
script_disk "$SCRATCH/script.img" <<'S'
cpus() { cat /sys/devices/system/cpu/$1; }
wait_cpus() { # wait_cpus FILE VALUE TENTHS
    n=0
    while [ $n -lt $3 ] && [ "$(cpus $1)" != "$2" ]; do sleep 0.1; n=$((n + 1)); done
}
echo "GUEST-READY online=$(cpus online) present=$(cpus present) possible=$(cpus possible)"
wait_cpus present 0-3 1800
echo "GUEST-PRESENT-UP=$(cpus present)"
for c in 2 3; do [ -e /sys/devices/system/cpu/cpu$c/online ] && echo 1 > /sys/devices/system/cpu/cpu$c/online; done
wait_cpus online 0-3 300
echo "GUEST-ONLINE-UP=$(cpus online)"
grep -c ^processor /proc/cpuinfo | sed 's/^/GUEST-CPUINFO-UP=/'
wait_cpus present 0-1 1800
echo "GUEST-ONLINE-DOWN=$(cpus online)"
echo "GUEST-PRESENT-DOWN=$(cpus present)"
# The host checks vcpu-list and XenStore now, then destroys the domain.
sleep 120
exit 0
S
out=$SCRATCH/console.txt
wait_for() { # wait_for PATTERN TENTHS: gives up early once the domain has ended
    local i
    for ((i = 0; i < $2; i++)); do
        grep -q "$1" "$out" && return 0
        kill -0 "$boot" 2>/dev/null || { grep -q "$1" "$out"; return; }
        sleep 0.1
    done
    return 1
}
# Every xenon command costs seconds in the nested host: one vcpu-list per check, printed and counted.
vcpu_list() { # vcpu_list KEY: prints the table and KEY=<number of offline rows>
    local rows
    rows=$($XENON vcpu-list vcpuset)
    echo "$rows"
    echo "$1=$(grep -c -- '--p' <<< "$rows" || true)"
}
list_vcpus() { $XENON list vcpuset | awk 'NR == 2 {print $4}'; }
set +e
xenon_boot vcpuset 2 256 'sh /dev/vda' "maxvcpus = 4" \
    "disk = [ 'vdev=xvda, access=ro, target=$SCRATCH/script.img' ]" > "$out" 2>&1 &
boot=$!
wait_for GUEST-READY 3000 || echo "GUEST-READY=timeout"
grep -a -m1 GUEST-READY "$out"
dom=$($XENON domid vcpuset)
echo "DOMID=$dom"
echo "AVAIL-BOOT=$(avail "$dom")"
vcpu_list OFFLINE-ROWS-BOOT
$XENON vcpu-set vcpuset 5
echo "VCPUSET-TOO-MANY-RC=$?"
$XENON vcpu-set vcpuset 0
echo "VCPUSET-ZERO-RC=$?"
echo "AVAIL-AFTER-ERRORS=$(avail "$dom")"
$XENON vcpu-set vcpuset 4
echo "VCPUSET-UP-RC=$?"
wait_for GUEST-CPUINFO-UP 1800 || echo "GUEST-UP=timeout"
vcpu_list OFFLINE-ROWS-UP
echo "LIST-VCPUS-UP=$(list_vcpus)"
echo "AVAIL-UP=$(avail "$dom")"
$XENON vcpu-set vcpuset 2
echo "VCPUSET-DOWN-RC=$?"
wait_for GUEST-PRESENT-DOWN 1800 || echo "GUEST-DOWN=timeout"
sleep 1
vcpu_list OFFLINE-ROWS-DOWN
echo "LIST-VCPUS-DOWN=$(list_vcpus)"
echo "AVAIL-DOWN=$(avail "$dom")"
$XENON destroy vcpuset
wait "$boot"
echo "XENON-RC=$?"
set -e
echo "--- guest console"
grep -a -E "GUEST-|CPU|cpu" "$out" | head -60
