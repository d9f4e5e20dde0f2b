#!/usr/bin/env bash
# virtio-balloon, measured on the host. The guest reads a 160 MiB disk into its page cache, so those
# pages are resident in the domain process (freed memory would not do: free page reporting already
# hands it back). `xenon mem-set balloon 64` makes the balloon take them, the guest drops its cache
# and the domain process's RSS falls; `mem-set 256m` deflates, the guest reads the disk again and the
# RSS grows again. Then the guest drops its cache and free page reporting gives the memory back
# without any balloon target. A target above maxmem is refused.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
script_disk "$SCRATCH/script.img" <<'S'
avail() { awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo; }
# Keep vdb open: Linux drops a block device's page cache when its last opener closes it.
exec 3< /dev/vdb
cat /dev/vdb > /dev/null
echo "GUEST-CACHED avail=$(avail) $(grep -E '^(MemFree|Buffers|Cached):' /proc/meminfo | tr -s ' \n' ' ')"
n=0
while [ $n -lt 600 ]; do
    a=$(avail)
    [ "$a" != "${last:-}" ] && echo "GUEST-AVAIL=$a" && last=$a
    [ "$a" -lt 40 ] && low=1
    if [ "${low:-0}" = 1 ] && [ "$a" -gt 180 ]; then
        echo 3 > /proc/sys/vm/drop_caches
        cat /dev/vdb > /dev/null
        echo "GUEST-RECACHED"
        low=2
    fi
    if [ "${low:-0}" = 2 ]; then
        # the host measures the regrown RSS meanwhile; then the cache goes and free page reporting
        # (not the balloon) hands it back
        sleep 6
        exec 3<&-
        echo 3 > /proc/sys/vm/drop_caches
        echo "GUEST-FREED"
        low=3
    fi
    sleep 0.5
    n=$((n + 1))
done
exit 0
S
# A data disk with non-zero contents (sparse zeros would do too, but this is what a workload looks like).
head -c $((160 << 20)) /dev/urandom > "$SCRATCH/data.img"
out=$SCRATCH/console.txt
# Builtins only: every exec costs 50-100 ms in the nested host.
rss() {
    local k v _
    while read -r k v _; do [ "$k" = VmRSS: ] && { echo $((v / 1024)); return; }; done < "/proc/$1/status"
}
rss_detail() { grep -E '^(VmRSS|RssAnon|RssFile|RssShmem):' "/proc/$1/status" | tr -s ' \n' ' '; echo; }
wait_for() { # wait_for PATTERN TENTHS
    local i
    for ((i = 0; i < $2; i++)); do grep -q "$1" "$out" && return 0; sleep 0.1; done
    return 1
}
set +e
xenon_boot balloon 1 256 'sh /dev/vda' \
    "disk = [ 'vdev=xvda, access=ro, target=$SCRATCH/script.img', 'vdev=xvdb, access=ro, target=$SCRATCH/data.img' ]" > "$out" 2>&1 &
wait_for GUEST-CACHED 1800
pid=$(pgrep -f "create -F -c $SCRATCH/balloon.cfg" | head -1)
sleep 1
before=$(rss "$pid")
echo "RSS-CACHED-MIB=$before"
echo "RSS-DETAIL $(rss_detail "$pid")"
$XENON mem-set balloon 64
echo "MEMSET-DOWN-RC=$?"
# Inflating 192 MiB takes the guest a few seconds (it reclaims its cache as it goes).
for ((i = 0; i < 600; i++)); do [ "$(rss "$pid")" -lt $((before - 120)) ] && break; sleep 0.1; done
sleep 2
low=$(rss "$pid")
echo "RSS-BALLOONED-MIB=$low"
echo "RSS-DETAIL $(rss_detail "$pid")"
$XENON mem-set balloon 256m
echo "MEMSET-UP-RC=$?"
wait_for GUEST-RECACHED 1800
sleep 1
high=$(rss "$pid")
echo "RSS-RECACHED-MIB=$high"
wait_for GUEST-FREED 300
for ((i = 0; i < 300; i++)); do [ "$(rss "$pid")" -lt $((high - 120)) ] && break; sleep 0.1; done
freed=$(rss "$pid")
echo "RSS-FREED-MIB=$freed"
$XENON mem-set balloon 1000 2>&1
echo "MEMSET-TOO-MUCH-RC=$?"
$XENON destroy balloon
wait
set -e
grep -E "GUEST-|XENON-" "$out" || true
[ "$low" -lt $((before - 120)) ] && echo "DROP=ok" || echo "DROP=no ($before -> $low MiB)"
[ "$high" -gt $((low + 120)) ] && echo "REGROW=ok" || echo "REGROW=no ($low -> $high MiB)"
[ "$freed" -lt $((high - 120)) ] && echo "REPORTED=ok" || echo "REPORTED=no ($high -> $freed MiB)"
