#!/usr/bin/env bash
# virtio-net over a TAP on a bridge, as xl's vif-bridge sets it up, inside a network namespace: the guest
# pings the host's bridge address and moves 32 MiB each way over TCP (busybox nc); the tap is named
# vifDOMID.0, joins the bridge while the domain runs and is gone after it ends.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
[ -e /dev/net/tun ] || modprobe tun
ns=xenon-net-$$
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns ip link add xenbr0 type bridge
in_ns ip addr add 10.77.0.1/24 dev xenbr0
in_ns ip link set xenbr0 up

# host side: receive what the guest sends, then serve 32 MiB for the guest to fetch
# nc ends a connection when its stdin ends: keep the receiver's stdin open (sleep) until the guest closes
in_ns timeout 140 sh -c "sleep 140 | busybox nc -l -p 5001 > '$SCRATCH/from-guest.bin'" &
recv=$!
head -c 33554432 /dev/urandom > "$SCRATCH/to-guest.bin"
in_ns timeout 140 sh -c "busybox nc -l -p 5002 < '$SCRATCH/to-guest.bin'" &
send=$!

script_disk "$SCRATCH/script.img" <<'S'
ip link set eth0 up
ip addr add 10.77.0.2/24 dev eth0
echo "MAC=$(cat /sys/class/net/eth0/address)"
echo "MTU=$(cat /sys/class/net/eth0/mtu)"
ping -c 3 -W 5 10.77.0.1 > /tmp/ping.txt 2>&1; echo "PING-RC=$?"
tail -2 /tmp/ping.txt
t0=$(date +%s)
dd if=/dev/zero bs=1M count=32 2>/dev/null | nc -w 5 10.77.0.1 5001; echo "SEND-RC=$?"
nc -w 5 10.77.0.1 5002 > /tmp/got.bin; echo "RECV-RC=$?"
echo "RECV-BYTES=$(wc -c < /tmp/got.bin)"
echo "RECV-SHA=$(sha256sum /tmp/got.bin | cut -c1-16)"
echo "SECONDS=$(( $(date +%s) - t0 ))"
exit 0
S
cfg_vif="vif = [ 'mac=00:16:3e:12:34:56, bridge=xenbr0' ]"
out=$SCRATCH/console.txt
set +e
in_ns bash -c ". '$SCENARIO_DIR/_lib.sh'; SCRATCH='$SCRATCH' GUEST_DIR='$GUEST_DIR' XENON='$XENON' xenon_boot net 1 256 'sh /dev/vda' \"disk = [ 'vdev=xvda, access=ro, target=$SCRATCH/script.img' ]\" \"$cfg_vif\"" > "$out" 2>&1 &
dom=$!
# while the domain runs: its tap is on the bridge
for ((i = 0; i < 600; i++)); do in_ns ip link show vif1.0 > /dev/null 2>&1 && break; sleep 0.1; done
sleep 0.5
echo "TAP-MASTER=$(in_ns cat /sys/class/net/vif1.0/brport/bridge/uevent 2>/dev/null | sed -n 's/^INTERFACE=//p')"
wait $dom
rc=$?
set -e
cat "$out"
echo "XENON-RC=$rc"
kill $recv $send 2>/dev/null || true
wait $recv $send 2>/dev/null || true
echo "HOST-GOT-BYTES=$(wc -c < "$SCRATCH/from-guest.bin")"
echo "HOST-SENT-SHA=$(sha256sum "$SCRATCH/to-guest.bin" | cut -c1-16)"
in_ns ip link show vif1.0 > /dev/null 2>&1 && echo "TAP-AFTER=present" || echo "TAP-AFTER=gone"
