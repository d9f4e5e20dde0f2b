#!/usr/bin/env bash
# xsbench/run.sh [ROUNDS] [BASE_STORE_DIR]: xenstored's CPU per create, on this host (no KVM needed).
# Builds this folder's daemon against src/Xenon.Store (and against BASE_STORE_DIR, a copy of another
# Xenon.Store, e.g. HEAD's, if given), then for each, interleaved three times: starts it on a temp socket,
# warms it up, and runs xsclient.py: a create's worth of requests (reads, a transaction with 95
# WRITE/SET_PERMS pipelined 16 per send, commit, introduce, directory, rm) ROUNDS times (default 1000).
# Prints the daemon's CPU (utime+stime) and the client's wall time per create. docs/xenstore.md.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
ROUNDS=${1:-1000} BASE=${2:-}
T=$(mktemp -d /tmp/xsbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
dotnet build "$HERE" -c Release -o "$T/new" > "$T/build-new.log" 2>&1 || { tail -20 "$T/build-new.log"; exit 1; }
variants=new
if [ -n "$BASE" ]; then
    dotnet build "$HERE" -c Release -p:StoreDir="$(readlink -f "$BASE")" -o "$T/base" > "$T/build-base.log" 2>&1 \
        || { tail -20 "$T/build-base.log"; exit 1; }
    variants="base new"
fi
for _ in 1 2 3; do
    for v in $variants; do
        dotnet "$T/$v/XsBench.dll" --socket "$T/$v.sock" 2>/dev/null & pid=$!
        for _ in $(seq 100); do [ -S "$T/$v.sock" ] && break; sleep 0.1; done
        echo -n "$v: "
        python3 "$HERE/xsclient.py" "$T/$v.sock" "$pid" "$ROUNDS"
        kill "$pid"; wait "$pid" 2>/dev/null || true
        rm -f "$T/$v.sock"
    done
done
