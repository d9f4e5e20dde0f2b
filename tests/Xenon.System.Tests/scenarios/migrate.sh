#!/usr/bin/env bash
# xl migrate with the real guest between two "hosts": network namespaces src and dst, each with its own Xenon
# runtime directory, logs and xenstored, joined by a veth that carries the migration. A third namespace, lan, is the
# network both hosts' bridges reach (a veth each), with a peer at 10.77.0.1. The guest counts once a second, keeps
# rewriting 8 MiB of memory (a copy of random data in tmpfs, once a second) and streams numbered lines over one TCP connection to the
# peer. Then: a migration through a pipe that corrupts one byte is refused by the destination (the source runs on, no
# process is left there); `migrate sr tcp:10.99.0.2:8002` to `migrate-receive --listen` over the veth moves it (the
# source process and tap are gone, outcome Migrated); the count, boot id, the random data's hash and the TCP stream
# all continue on dst; then `migrate -s SSHCOMMAND` (xl's ssh form, with a wrapper that runs the command in src's
# namespace and environment) moves it back. Both moves use -p, so that the guest waits on arrival until its console
# is attached and `unpause` runs it: nothing it prints is missed.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
command -v socat >/dev/null || { echo "socat not installed"; exit $SKIP; }
[ -e /dev/net/tun ] || modprobe tun
src=xenon-mig-src-$$ dst=xenon-mig-dst-$$ lan=xenon-mig-lan-$$
cleanup() {
    for ns in "$src" "$dst" "$lan"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
}
trap cleanup EXIT
for ns in "$src" "$dst" "$lan"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$lan" link add lan0 type bridge
ip -n "$lan" addr add 10.77.0.1/24 dev lan0
ip -n "$lan" link set lan0 up
for h in src dst; do
    ns=${!h}
    ip -n "$ns" link add xenbr0 type bridge
    ip -n "$ns" link set xenbr0 up
    ip link add "up-$h-$$" netns "$ns" type veth peer name "lan-$h-$$" netns "$lan"
    ip -n "$ns" link set "up-$h-$$" master xenbr0 up
    ip -n "$lan" link set "lan-$h-$$" master lan0 up
    # Each host's own Xenon: runtime directories, logs, xenstored.
    mkdir -p "$SCRATCH/$h"
    echo "XENON_RUN_DIR=$SCRATCH/$h/run XENON_LOG_DIR=$SCRATCH/$h/log XENSTORED_PATH=$SCRATCH/$h/xenstored.sock" > "$SCRATCH/$h.env"
done
# The migration link: a veth between the two hosts.
ip link add mig-s-$$ netns "$src" type veth peer name mig-d-$$ netns "$dst"
ip -n "$src" addr add 10.99.0.1/24 dev mig-s-$$
ip -n "$dst" addr add 10.99.0.2/24 dev mig-d-$$
ip -n "$src" link set mig-s-$$ up
ip -n "$dst" link set mig-d-$$ up
on() { local h=$1; shift; ip netns exec "${!h}" env $(cat "$SCRATCH/$h.env") "$@"; }

# ssh stand-ins for `migrate -s`: "ssh HOST COMMAND..." runs COMMAND in HOST's namespace and environment.
cat > "$SCRATCH/nsssh" <<S
#!/usr/bin/env bash
h=\$1; shift
case \$h in src) ns=$src ;; dst) ns=$dst ;; *) echo "nsssh: no host \$h" >&2; exit 255 ;; esac
exec ip netns exec "\$ns" env \$(cat "$SCRATCH/\$h.env") sh -c "\$*"
S
# ... and one whose pipe flips the top bit of the stream's byte 300000 (inside the first pass over memory). It passes
# bytes on as they come (unbuffered head, not a 300000-byte dd block): the sender sends the first ~1 KB, then waits
# for the destination to answer that it has built the domain, as an ssh channel would carry it.
cat > "$SCRATCH/badssh" <<S
#!/usr/bin/env bash
{ stdbuf -o0 head -c 300000; dd bs=1 count=1 2>/dev/null | tr '\000-\177\200-\377' '\200-\377\000-\177'; cat; } | "$SCRATCH/nsssh" "\$@"
S
chmod +x "$SCRATCH/nsssh" "$SCRATCH/badssh"
export XENON_MIGRATE_RECEIVER="$XENON"

# The peer: one TCP connection, every line the guest sends (its stdin never ends: nc would close at its EOF).
ip netns exec "$lan" timeout 1800 sh -c 'sleep 1800 | busybox nc -l -p 5004' > "$SCRATCH/stream.txt" 2>/dev/null &
peer=$!

script_disk "$SCRATCH/script.img" <<'S'
ip link set eth0 up
ip addr add 10.77.0.2/24 dev eth0
dd if=/dev/urandom of=/tmp/seed bs=1M count=8 2>/dev/null
cp /tmp/seed /tmp/seed2
first=$(sha256sum /tmp/seed); first=${first%% *}
( while :; do cp /tmp/seed /tmp/copy; rm /tmp/copy; sleep 1; done ) &
( i=0; while :; do i=$((i + 1)); echo "SEQ $i"; sleep 0.2; done | nc 10.77.0.1 5004 ) &
n=0
while [ $n -lt 100000 ]; do
    n=$((n + 1))
    read -r up _ < /proc/uptime
    read -r boot < /proc/sys/kernel/random/boot_id
    sum=$(sha256sum /tmp/seed)
    echo "TICK n=$n up=$up boot=$boot seed=${sum%% *}"
    # A changed hash: say which bytes differ between the file and its copy (none: the hash was computed wrong, not
    # the data changed), so that a failure shows whether whole pages went wrong and where.
    if [ "${sum%% *}" != "$first" ]; then
        echo "SEEDDIFF n=$n $(cmp -l /tmp/seed /tmp/seed2 2>/dev/null | awk '{ p = int(($1 - 1) / 4096); if (!(p in s)) { s[p] = 1; np++; if (np <= 8) l = l " " p } c++ } END { printf "bytes=%d pages=%d first-pages=%s", c, np, l }')"
        echo "SEEDDIFF n=$n again=$(sha256sum /tmp/seed | cut -c1-16) copy=$(sha256sum /tmp/seed2 | cut -c1-16) first=$(echo "$first" | cut -c1-16)"
    fi
    sleep 1
done
exit 0
S
cfg=$SCRATCH/sr.cfg
cat > "$cfg" <<CFG
name = "sr"
memory = 192
vcpus = 1
kernel = "$GUEST_DIR/vmlinuz"
ramdisk = "$GUEST_DIR/initrd.img"
cmdline = "console=ttyS0 quiet -- sh /dev/vda"
disk = [ 'vdev=xvda, access=ro, target=$SCRATCH/script.img' ]
vif = [ 'mac=00:16:3e:12:34:59, bridge=xenbr0' ]
CFG
ms() { local t=${EPOCHREALTIME/,/.}; echo "${t%.*}${t#*.}" | cut -c1-13; }
ticks() { grep -cE '^TICK .* seed=[0-9a-f]{64}[[:space:]]*$' "$@" 2>/dev/null || true; }
wait_ticks() { # wait_ticks FILE COUNT TENTHS [READER_PID]: gives up early once the console's reader has ended
    local i
    for ((i = 0; i < $3; i++)); do
        [ "$(ticks "$1")" -ge "$2" ] && return 0
        if [ -n "${4:-}" ] && [ ! -d "/proc/$4" ]; then
            [ "$(ticks "$1")" -ge "$2" ] && return 0
            echo "CONSOLE-CLOSED $1 (the domain ended)"; return 1
        fi
        sleep 0.1
    done
    return 1
}
attach() { # attach HOST FILE: the console of sr on HOST, appended to FILE; its reader's pid in $reader
    ip netns exec "${!1}" socat -u "UNIX-CONNECT:$SCRATCH/$1/run/domains/sr/console.sock" - >> "$2" 2>/dev/null &
    reader=$!
}
alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && echo alive || echo gone; }
out1=$SCRATCH/console-src.txt out2=$SCRATCH/console-dst.txt out3=$SCRATCH/console-back.txt

set +e
on src $XENON create "$cfg"; echo "CREATE-RC=$?"
attach src "$out1"
wait_ticks "$out1" 4 1800 "$reader" || echo "NO-TICKS-BEFORE"
src_pid=$(cat "$SCRATCH/src/run/domains/sr/pid" 2>/dev/null)

# 1. A corrupted stream: the destination refuses it, the source runs on, nothing is left on the destination.
on src $XENON migrate -s "$SCRATCH/badssh" sr dst > "$SCRATCH/bad.txt" 2>&1; echo "BAD-RC=$?"
cat "$SCRATCH/bad.txt"
grep -qi "refused" "$SCRATCH/bad.txt" && echo "BAD-REFUSED=yes" || echo "BAD-REFUSED=no"
n_bad=$(ticks "$out1")
wait_ticks "$out1" $((n_bad + 2)) 300 && echo "BAD-SOURCE-RUNS=yes" || echo "BAD-SOURCE-RUNS=no"
sleep 0.5
echo "BAD-DEST-PROCESS=$(alive "$(cat "$SCRATCH/dst/run/domains/sr/pid" 2>/dev/null)")"

# 2. src -> dst over the veth, to a listening receiver.
on dst $XENON migrate-receive --listen 10.99.0.2:8002 > "$SCRATCH/receive.txt" 2>&1 &
recv=$!
for ((i = 0; i < 600; i++)); do grep -q listening "$SCRATCH/receive.txt" && break; sleep 0.1; done
before=$(ticks "$out1")
t0=$(ms)
# -p: the guest waits on dst until its console is attached (an attach does not replay what was printed before it).
on src $XENON migrate -p --debug sr tcp:10.99.0.2:8002 > "$SCRATCH/migrate.txt" 2>&1; echo "MIGRATE-RC=$?"
echo "MIGRATE-MS=$(( $(ms) - t0 ))"
cat "$SCRATCH/migrate.txt"
wait $recv; echo "RECEIVE-RC=$?"
cat "$SCRATCH/receive.txt"
echo "MIGRATE-DOWNTIME-MS=$(sed -n 's/.*downtime \([0-9.]*\) ms.*/\1/p' "$SCRATCH/migrate.txt")"
echo "MIGRATE-BYTES=$(sed -n 's/.*migrated: \([0-9]*\) bytes.*/\1/p' "$SCRATCH/migrate.txt")"
echo "OUTCOME=$(cat "$SCRATCH/src/run/domains/sr/outcome" 2>/dev/null)"
sleep 0.5
echo "SOURCE-PROCESS=$(alive "$src_pid")"
ip -n "$src" link show vif1.0 > /dev/null 2>&1 && echo "SOURCE-TAP=present" || echo "SOURCE-TAP=gone"
on dst $XENON list 2>&1 | grep -q '^sr ' && echo "DEST-LISTED=yes" || echo "DEST-LISTED=no"
attach dst "$out2"
sleep 0.5
on dst $XENON unpause sr; echo "UNPAUSE-RC=$?"
wait_ticks "$out2" 6 1800 "$reader" || echo "NO-TICKS-AFTER"
lines_at_move=$(wc -l < "$SCRATCH/stream.txt")
sleep 3
echo "STREAM-GROWS=$([ "$(wc -l < "$SCRATCH/stream.txt")" -gt "$lines_at_move" ] && echo yes || echo no)"

# 3. dst -> src through xl's ssh form: the receiving command's stdin and stdout carry the migration.
on dst $XENON migrate -p -s "$SCRATCH/nsssh" sr src > "$SCRATCH/back.txt" 2>&1; echo "BACK-RC=$?"
cat "$SCRATCH/back.txt"
attach src "$out3"
sleep 0.5
on src $XENON unpause sr; echo "BACK-UNPAUSE-RC=$?"
wait_ticks "$out3" 4 1800 "$reader" || echo "NO-TICKS-BACK"
sleep 2
on src $XENON destroy sr; echo "DESTROY-RC=$?"
kill $peer 2>/dev/null
wait $peer 2>/dev/null
set -e

# awk 1: a console cut mid-line still ends with a newline; only complete TICK lines are counted.
awk 1 "$out1" "$out2" "$out3" > "$SCRATCH/console.txt"
grep -E '^TICK .* seed=[0-9a-f]{64}[[:space:]]*$' "$SCRATCH/console.txt" | tail -n 12
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
echo "TICKS-CONTINUOUS=$(grep -E '^TICK .* seed=[0-9a-f]{64}[[:space:]]*$' "$SCRATCH/console.txt" | field n | awk 'NR > 1 && $1 != p + 1 { bad = 1 } { p = $1 } END { print (NR > 0 && !bad) ? "yes" : "no" }')"
echo "TICKS-AFTER=$(ticks "$out2")"
echo "BOOT-IDS=$(grep -E '^TICK .* seed=[0-9a-f]{64}[[:space:]]*$' "$SCRATCH/console.txt" | field boot | sort -u | wc -l)"
# Where the hash changed: each distinct hash with its first and last tick and the console it was seen on.
for f in "$out1" "$out2" "$out3"; do
    grep -E '^TICK .* seed=[0-9a-f]{64}[[:space:]]*$' "$f" | awk -v f="$(basename "$f")" '{ match($0, /seed=[0-9a-f]+/); s = substr($0, RSTART + 5, 16); match($0, /n=[0-9]+/); n = substr($0, RSTART + 2, RLENGTH - 2); if (!(s in a)) { a[s] = n; o[++k] = s } b[s] = n } END { for (i = 1; i <= k; i++) print "SEED " f " " o[i] " ticks " a[o[i]] "-" b[o[i]] }'  || true
done
grep -h '^SEEDDIFF' "$out1" "$out2" "$out3" | head -n 6 || true
# Carriage returns stripped first: a console line read without its \r (one in a CI run) made the same hash count twice.
echo "SEED-SUMS=$(grep -E '^TICK .* seed=[0-9a-f]{64}[[:space:]]*$' "$SCRATCH/console.txt" | tr -d '\r' | field seed | sort -u | wc -l)"
echo "STREAM-LINES=$(wc -l < "$SCRATCH/stream.txt")"
dmesg 2>/dev/null | grep -iE "out of memory|oom-kill|killed process" | tail -n 5 || true
echo "STREAM-CONTINUOUS=$(awk '$1 != "SEQ" || $2 != NR { bad = 1 } END { print (NR > 0 && !bad) ? "yes" : "no" }' "$SCRATCH/stream.txt")"
