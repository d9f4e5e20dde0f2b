#!/usr/bin/env bash
# XenStore follows the domains: a restarted xenstored gets the running domain's nodes back from its
# runtime directory, and a domain process killed outright is noticed by the next command, which
# removes its nodes. Three xenon invocations only: each costs tens of seconds in the nested host.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
export XENSTORED_PATH=$SCRATCH/xenstored/socket
have_xs() { command -v xenstore-read >/dev/null 2>&1; }
xs() { if have_xs; then "$@" 2>/dev/null || echo "<missing>"; else echo "<no-xenstore-utils>"; fi; }
if have_xs; then echo "XENSTORE-UTILS=present"; else echo "XENSTORE-UTILS=missing"; fi

cfg=$(shell_guest_cfg xl-x 128)
set +e
$XENON create "$cfg"; echo "CREATE-RC=$?"
id=$(sed -n 's/.*"domid": *\([0-9]*\).*/\1/p' "$XENON_RUN_DIR/domains/xl-x/spec.json")
echo "DOMID=$id"
echo "XS-NAME=$(xs xenstore-read /local/domain/$id/name)"

# create started xenstored without waiting for it; it writes its pid file once it listens.
for ((i = 0; i < 900; i++)); do [ -s "$SCRATCH/xenstored/xenstored.pid" ] && break; sleep 0.1; done
kill "$(cat "$SCRATCH/xenstored/xenstored.pid")"
for ((i = 0; i < 50; i++)); do [ -S "$XENSTORED_PATH" ] || break; sleep 0.1; done
[ -S "$XENSTORED_PATH" ] && echo "XENSTORED-STOPPED=no" || echo "XENSTORED-STOPPED=yes"
$XENON list > "$SCRATCH/list.out"; echo "LIST-RC=$?"
cat "$SCRATCH/list.out"
echo "LIST-ROW=$(awk '$1 == "xl-x" { print $1, $2 }' "$SCRATCH/list.out")"
echo "XS-REBUILT=$(xs xenstore-read /local/domain/$id/name)"

kill -9 "$(cat "$XENON_RUN_DIR/domains/xl-x/pid")"
sleep 1
$XENON list > "$SCRATCH/list2.out"; echo "LIST2-RC=$?"
echo "KILLED-ROW=$(awk '$1 == "xl-x"' "$SCRATCH/list2.out" | wc -l)"
echo "XS-KILLED=$(xs xenstore-read /local/domain/$id/name)"
exit 0
