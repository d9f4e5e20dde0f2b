#!/usr/bin/env bash
# xl's default create: a detached domain process; -c attaches this process to its console socket.
# The guest has no command, so /init gives a shell on ttyS0: we type into it through the UART
# (interrupt-driven input) and end the guest by typing poweroff.
set -euo pipefail
. "$SCENARIO_DIR/_lib.sh"
require_xenon
cfg=$(shell_guest_cfg console-input 256)
fifo=$SCRATCH/console-input.in
out=$SCRATCH/console-input.out
rm -f "$fifo"; mkfifo "$fifo"
# shellcheck disable=SC2086
( $XENON create -c "$cfg" < "$fifo" > "$out" 2>&1; echo "XENON-RC=$?" >> "$out" ) &
exec 3> "$fifo"
wait_for() {  # wait_for PATTERN SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do grep -q "$1" "$out" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
ok=1
if wait_for XENON-MODS-OK 120; then
    sleep 2   # let /init reach its shell
    printf 'echo TYPED-$((6*7))\n' >&3
    if wait_for TYPED-42 60; then
        printf 'poweroff\n' >&3
        wait_for XENON-RC= 60 || ok=0
    else
        ok=0
    fi
else
    ok=0
fi
exec 3>&-
[ $ok = 1 ] || { kill %1 2>/dev/null || true; sleep 1; }
cat "$out"
echo "--- domain log"; cat "$SCRATCH/log/console-input.log" 2>/dev/null || true
rc=$(sed -n 's/^XENON-RC=//p' "$out" | tail -1)
exit "${rc:-1}"
