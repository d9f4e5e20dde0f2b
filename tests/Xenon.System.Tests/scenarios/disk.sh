#!/usr/bin/env bash
# virtio-blk: two disks from xl disk specs (keyword and positional forms). The guest sees both as virtio
# PCI functions, makes a file system on the writable one, writes and syncs a file; after the domain ends
# the host reads the file from the image. The read-only disk refuses writes.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
data=$SCRATCH/data.img
truncate -s 64M "$data"
script_disk "$SCRATCH/script.img" <<'S'
for d in /sys/bus/pci/devices/*; do echo "PCI $(basename $d) $(cat $d/vendor):$(cat $d/device)"; done
echo "SERIAL-VDA=$(cat /sys/block/vda/serial)"
echo "SERIAL-VDB=$(cat /sys/block/vdb/serial)"
echo "RO-VDA=$(cat /sys/block/vda/ro)"
echo "RO-VDB=$(cat /sys/block/vdb/ro)"
echo "SIZE-VDA=$(cat /sys/block/vda/size)"
mkdir -p /mnt
mke2fs -q /dev/vda && mount /dev/vda /mnt && echo disk-payload-4242 > /mnt/hello && sync && umount /mnt && echo "FS=ok"
dd if=/dev/zero of=/dev/vdb bs=512 count=1 2>/dev/null && echo "RO-WRITE=accepted" || echo "RO-WRITE=refused"
grep -c virtio /proc/interrupts | sed 's/^/MSI-LINES=/'
exit 0
S
set +e
xenon_boot disk 1 256 'sh /dev/vdb' \
    "disk = [ 'format=raw, vdev=xvda, access=rw, target=$data', '$SCRATCH/script.img,raw,xvdb,ro' ]"
rc=$?
set -e
echo "XENON-RC=$rc"
echo "HOST-READ=$(e2cat "$data" /hello)"
