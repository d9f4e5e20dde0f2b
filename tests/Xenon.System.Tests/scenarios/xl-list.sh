#!/usr/bin/env bash
# The xl toolstack on XenStore: xenstored starts on demand, a detached domain appears in `xenon list`
# and in XenStore (libxl's layout, read with Debian's xenstore-utils when installed), and destroy removes
# it from both. Four xenon invocations only: each costs tens of seconds in the nested host.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
export XENSTORED_PATH=$SCRATCH/xenstored/socket
have_xs() { command -v xenstore-read >/dev/null 2>&1; }
xs() { if have_xs; then "$@" 2>/dev/null || echo "<missing>"; else echo "<no-xenstore-utils>"; fi; }
if have_xs; then echo "XENSTORE-UTILS=present"; else echo "XENSTORE-UTILS=missing"; fi

cfg=$(shell_guest_cfg xl-one 128)
set +e
$XENON create "$cfg"; echo "CREATE-RC=$?"
$XENON list > "$SCRATCH/list.out"; echo "LIST-RC=$?"
[ -f "$SCRATCH/xenstored/xenstored.pid" ] && echo "XENSTORED=started" || echo "XENSTORED=absent"
cat "$SCRATCH/list.out"
id=$(awk '$1 == "xl-one" { print $2 }' "$SCRATCH/list.out")
echo "DOMID=$id"
echo "LIST-ROW=$(awk '$1 == "xl-one" { print $1, $2, $3, $4 }' "$SCRATCH/list.out")"
echo "LIST-DOM0=$(awk '$1 == "Domain-0" { print $1, $2 }' "$SCRATCH/list.out")"
echo "XS-NAME=$(xs xenstore-read /local/domain/$id/name)"
echo "XS-DOM0=$(xs xenstore-read /local/domain/0/name)"
echo "XS-TARGET=$(xs xenstore-read /local/domain/$id/memory/target)"
echo "XS-CONSOLE-STATE=$(xs xenstore-read /local/domain/0/backend/console/$id/0/state)"
have_xs && xenstore-ls -f /local/domain/$id | head -20
$XENON destroy "$id"; echo "DESTROY-RC=$?"
$XENON list > "$SCRATCH/list2.out"; echo "LIST2-RC=$?"
echo "GONE-ROW=$(awk '$1 == "xl-one"' "$SCRATCH/list2.out" | wc -l)"
echo "XS-GONE=$(xs xenstore-read /local/domain/$id/name)"
exit 0
