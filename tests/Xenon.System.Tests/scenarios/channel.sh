#!/usr/bin/env bash
# xl channel= and the entropy device: a named virtio-console port whose host end is a Unix socket (the guest
# finds it by name in /sys/class/virtio-ports and exchanges a line each way with a host client), and
# virtio-rng as the guest's hardware RNG (/dev/hwrng).
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
command -v socat >/dev/null || { echo "socat not installed"; exit $SKIP; }
script_disk "$SCRATCH/script.img" <<'S'
for p in /sys/class/virtio-ports/*; do echo "PORT $(basename "$p") name=$(cat "$p/name")"; done
port=
for p in /sys/class/virtio-ports/*; do [ "$(cat "$p/name")" = org.xenon.test.0 ] && port=$(basename "$p"); done
echo "CHANNEL-PORT=${port:-none}"
if [ -n "$port" ]; then
    exec 3<> "/dev/$port"
    echo "guest-to-host-7" >&3
    read -r -t 30 line <&3
    echo "GUEST-GOT=$line"
    exec 3>&-
fi
echo "RNG-CURRENT=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null || echo none)"
echo "RNG-BYTES=$(head -c 64 /dev/hwrng 2>/dev/null | wc -c)"
exit 0
S
sock=$SCRATCH/chan.sock
out=$SCRATCH/console.txt
set +e
xenon_boot channel 1 256 'sh /dev/vda' "disk = [ 'vdev=xvda, access=ro, target=$SCRATCH/script.img' ]" \
    "channel = [ 'name=org.xenon.test.0, connection=socket, path=$sock' ]" > "$out" 2>&1 &
dom=$!
for ((i = 0; i < 300; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
# The client connects before the guest opens its end: the line waits in the port's input buffer. The writer
# keeps socat's input open until the guest is done; it is killed by pid afterwards, because a stray sleep that
# inherited this script's stderr would hold the harness's output open for its whole duration.
{ echo "host-to-guest-9"; sleep 120 & echo $! > "$SCRATCH/writer.pid"; wait; } 2>/dev/null |
    timeout 130 socat - "UNIX-CONNECT:$sock" > "$SCRATCH/from-guest.txt" 2>"$SCRATCH/socat.err" &
client=$!
wait $dom
rc=$?
[ -s "$SCRATCH/writer.pid" ] && kill "$(cat "$SCRATCH/writer.pid")" 2>/dev/null
kill $client 2>/dev/null
wait $client 2>/dev/null
set -e
cat "$out"
echo "XENON-RC=$rc"
echo "HOST-GOT=$(head -n1 "$SCRATCH/from-guest.txt")"
cat "$SCRATCH/socat.err"
[ -e "$sock" ] && echo "SOCKET-AFTER=present" || echo "SOCKET-AFTER=gone"
