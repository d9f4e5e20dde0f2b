#!/usr/bin/env bash
# A file the guest wrote and synced is in the image even when the domain process is killed with SIGKILL
# right after (flush completes only once the host fsync has).
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
data=$SCRATCH/data.img
truncate -s 32M "$data"
mke2fs -q -F "$data"
script_disk "$SCRATCH/script.img" <<'S'
mkdir -p /mnt
mount /dev/vda /mnt && echo survives-kill-9 > /mnt/synced && sync && echo "GUEST-SYNCED"
sleep 1000
exit 0
S
out=$SCRATCH/console.txt
set +e
xenon_boot disk-kill9 1 256 'sh /dev/vdb' \
    "disk = [ 'vdev=xvda, target=$data', 'vdev=xvdb, access=ro, target=$SCRATCH/script.img' ]" > "$out" 2>&1 &
for ((i = 0; i < 600; i++)); do grep -q GUEST-SYNCED "$out" && break; sleep 0.2; done
pid=$(pgrep -f "create -F -c $SCRATCH/disk-kill9.cfg" | head -1)
echo "SYNCED-SEEN=$(grep -c GUEST-SYNCED "$out")"
kill -9 "$pid"
wait
set -e
cat "$out"
echo "HOST-READ=$(e2cat "$data" /synced)"
