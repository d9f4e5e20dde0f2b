#!/usr/bin/env bash
# build-bench-guest.sh - the I/O benchmark guest: the default guest's initramfs plus Debian's fio
# and iperf3 with the shared libraries they need, and the /usr/bin/xenon-io helper that runs them.
#
# Output: $XENON_CACHE/bench-guest/current -> $XENON_CACHE/bench-guest/<kernel-abi>-<key>/ holding
#   bench-initrd.img  the default guest's initrd.img (gzip newc cpio) with tools.cpio.gz appended:
#                     the kernel unpacks concatenated archives in order, so the default /init,
#                     busybox and modules stay exactly as guest/build-guest.sh made them
#   tools.cpio.gz     the added tree alone (bench/io unpacks it in the nested host, so the host
#                     side of the benchmark runs the very same fio and iperf3 binaries)
#   version           the kernel ABI the default guest was built for (its modules need that kernel)
#   packages          "PKG=VERSION" of every .deb a file was taken from (sorted)
#   build-info        key, sizes, the ELF files and where each came from
# <key> hashes this script, guest/lib/debian.sh, the default guest directory and the fio and
# iperf3 versions; a directory is reused only while every version in its `packages` is still the
# one apt would install. Prints the output directory on stdout (logging goes to stderr).
#
# Libraries are found the way the dynamic linker needs them and Debian guarantees them: for each
# ELF's DT_NEEDED (and PT_INTERP), the providing file is looked for in the ELF's own package and
# then in that package's direct Depends (dpkg-shlibdeps puts every provider there); the .debs
# come from apt-get download and are unpacked with dpkg -x. No host file is copied.
#
# The guest helper (runs inside the guest, from the kernel command line after " -- "):
#   xenon-io script B64               runs the shell script B64 holds (base64 of its gzip): the
#                                     kernel gives init at most 32 arguments and the command line
#                                     has 2 KiB, so a benchmark's steps travel as one short word
#   xenon-io net ADDR/PREFIX [PEER]   first non-lo interface up with ADDR; pings PEER if given
#   xenon-io fio NAME ARGS...         fio --output-format=json --name=NAME ARGS
#   xenon-io iperf NAME ARGS...       iperf3 --json ARGS
# Each result is printed between "XENON-IO-BEGIN <kind> <name>" and "XENON-IO-END <kind> <name>
# <rc>" as base64 of its gzip (busybox base64, 76 columns): the serial console is the one channel
# every VMM gives the guest, and it costs one exit per byte, so the JSON is compressed.
#
# Env: XENON_CACHE (default /var/cache/xenon), FORCE=1 (rebuild). Needs root (apt-get).
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
XLOG_TAG=build-bench-guest
# shellcheck source=lib/debian.sh
. "$HERE/lib/debian.sh"

[ "$(id -u)" = 0 ] || xdie "must run as root (apt-get)"

TOOLS="fio iperf3"
MULTIARCH=x86_64-linux-gnu

ensure_host_packages binutils cpio gzip
apt_refresh
# (FORCE is for this build only: the default guest keeps its own cache)
GUEST=$(env -u FORCE bash "$HERE/build-guest.sh") || xdie "guest/build-guest.sh failed"
if [ ! -f "$GUEST/initrd.img" ] || [ ! -f "$GUEST/version" ]; then xdie "no initrd.img/version in $GUEST"; fi

B=$XENON_CACHE/bench-guest
mkdir -p "$B"
exec 9>"$B/.lock"
flock 9

publish() {
    ln -sfn "$(basename "$OUT")" "$B/.current.new"
    mv -T "$B/.current.new" "$B/current"
    echo "$OUT"
}

# shellcheck disable=SC2086  # TOOLS is a word list
VERSIONS=$(candidate_versions $TOOLS)
KEY=$(printf '%s\n' "$(files_hash "$HERE/build-bench-guest.sh" "$HERE/lib/debian.sh")" "$(readlink -f "$GUEST")" "$VERSIONS" \
      | sha256sum | cut -c1-12)
OUT=$B/$(cat "$GUEST/version")-$KEY

# Reuse only while every package a file came from is still apt's candidate.
up_to_date() {
    [ -f "$OUT/.complete" ] && [ -f "$OUT/packages" ] || return 1
    local pkgs now
    pkgs=$(sed 's/=.*//' "$OUT/packages" | tr '\n' ' ')
    # shellcheck disable=SC2086
    now=$(candidate_versions $pkgs 2>/dev/null) || return 1
    [ "$now" = "$(cat "$OUT/packages")" ]
}
if [ "${FORCE:-0}" != 1 ] && up_to_date; then
    xlog "up to date: $OUT"
    publish
    exit 0
fi

BUILD=$(mktemp -d "$B/.build.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT
T=$BUILD/tools
mkdir -p "$T/usr/bin" "$T/usr/lib/$MULTIARCH" "$T/lib64" "$T/tmp"

# ------------------------------------------------------------------ packages
declare -A PKG_VER=() PKG_CAND=() PKG_DEPS=() HAVE=() USED=()
ORIGINS=() DEPS="" PROVIDER="" RUNPATHS=""

# pkg_info PKG...: records each package's candidate version (PKG_CAND, empty for a virtual name)
# and the packages its Pre-Depends and Depends name, every alternative, in order (PKG_DEPS).
# One apt-cache call for all the names not seen yet: each call costs about a second here.
pkg_info() {
    local need=() p v d
    for p; do [ -z "${PKG_CAND[$p]+x}" ] && need+=("$p"); done
    [ ${#need[@]} -eq 0 ] && return 0
    for p in "${need[@]}"; do PKG_CAND[$p]=""; PKG_DEPS[$p]=""; done
    while IFS=$'\t' read -r p v d; do
        PKG_CAND[$p]=$v PKG_DEPS[$p]=$d
    done < <(apt-cache show --no-all-versions "${need[@]}" 2>/dev/null | awk '
        function flush() { if (p != "") { gsub(/\([^)]*\)|:any/, "", d); gsub(/[,|]/, " ", d); gsub(/ +/, " ", d)
                                          print p "\t" v "\t" d }; p = v = d = "" }
        /^Package: /                  { flush(); p = $2 }
        /^Version: /                  { v = $2 }
        /^(Pre-)?Depends: /           { sub(/^[^:]*: /, ""); d = d ", " $0 }
        END                           { flush() }')
}

# pkg_extract PKG: unpacks apt's candidate of PKG under $BUILD/pkg/PKG once. Returns 1 for a
# name with no candidate (a virtual package). Not called in a subshell: PKG_VER records it.
pkg_extract() {
    local p=$1 deb
    [ -n "${PKG_VER[$p]:-}" ] && return 0
    pkg_info "$p"
    [ -n "${PKG_CAND[$p]}" ] || return 1
    deb=$(fetch_deb "$p" "${PKG_CAND[$p]}") || xdie "cannot download $p ${PKG_CAND[$p]}"
    mkdir -p "$BUILD/pkg/$p"
    dpkg -x "$deb" "$BUILD/pkg/$p" || xdie "dpkg -x $deb failed"
    PKG_VER[$p]=${PKG_CAND[$p]}
}

# pkg_deps PKG: sets DEPS to PKG's dependencies (see pkg_info), whose own records it fetches too.
pkg_deps() {
    pkg_info "$1"
    DEPS=${PKG_DEPS[$1]}
    # shellcheck disable=SC2086  # a word list
    pkg_info $DEPS
}

# in_tree ROOT PATH: PATH inside the unpacked package ROOT with its symlinks followed inside ROOT
# (an absolute link target is taken relative to ROOT, never to this machine's /). Empty if the
# chain leaves ROOT's files.
in_tree() {
    local root=$1 path=$2 n t
    for ((n = 0; n < 16; n++)); do
        [ -L "$root$path" ] || { [ -f "$root$path" ] && echo "$root$path"; return 0; }
        t=$(readlink "$root$path")
        case $t in /*) path=$t ;; *) path=$(dirname "$path")/$t ;; esac
        path=$(realpath -m -s "$path")
    done
}

# find_lib PKG SONAME: the file providing SONAME in PKG's library directories (the ones in
# RUNPATHS first, which add_elf sets to the requiring ELF's DT_RUNPATH), or nothing.
find_lib() {
    local root=$BUILD/pkg/$1 d
    for d in ${RUNPATHS//:/ } /lib/$MULTIARCH /usr/lib/$MULTIARCH /lib64 /lib /usr/lib; do
        if [ -e "$root$d/$2" ] || [ -L "$root$d/$2" ]; then
            in_tree "$root" "$d/$2"
            return 0
        fi
    done
}

# provider OWNER NAME: sets PROVIDER to the package (OWNER itself, then its direct dependencies)
# shipping NAME; fails when none does. Not called in a subshell (pkg_extract records state).
provider() {
    local owner=$1 name=$2 p
    pkg_deps "$owner"
    for p in "$owner" $DEPS; do
        pkg_extract "$p" || continue
        [ -n "$(find_lib "$p" "$name")" ] && { PROVIDER=$p; return 0; }
    done
    return 1
}

elf_needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
elf_runpath() { readelf -d "$1" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p' | head -1; }
elf_interp() { readelf -l "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p'; }

# add_elf OWNER SRC DEST: copies SRC (a file of package OWNER) to $T/DEST, then everything it
# links against, depth first.
add_elf() {
    local owner=$1 src=$2 dest=$3 so interp p
    install -D -m 755 "$src" "$T$dest"
    ORIGINS+=("$dest <- $owner:${src#"$BUILD/pkg/$owner"}")
    USED[$owner]=1
    interp=$(elf_interp "$src")
    RUNPATHS=""
    if [ -n "$interp" ] && [ -z "${HAVE[$interp]:-}" ]; then
        # a NEEDED ld-linux-x86-64.so.2 is this same, already loaded, interpreter
        HAVE[$interp]=1 HAVE[$(basename "$interp")]=1
        provider "$owner" "$(basename "$interp")" || xdie "no package among $owner and its Depends ships $interp"
        p=$PROVIDER
        add_elf "$p" "$(find_lib "$p" "$(basename "$interp")")" "$interp"
    fi
    for so in $(elf_needed "$src"); do
        [ -n "${HAVE[$so]:-}" ] && continue
        HAVE[$so]=1
        RUNPATHS=$(elf_runpath "$src")
        provider "$owner" "$so" || xdie "$so (needed by $dest) is in neither $owner nor its Depends"
        p=$PROVIDER
        add_elf "$p" "$(find_lib "$p" "$so")" "/usr/lib/$MULTIARCH/$so"
    done
}

for t in $TOOLS; do
    pkg_extract "$t" || xdie "no candidate for $t"
    f=$(in_tree "$BUILD/pkg/$t" "/usr/bin/$t")
    [ -n "$f" ] || xdie "package $t has no /usr/bin/$t"
    add_elf "$t" "$f" "/usr/bin/$t"
done

# ------------------------------------------------------------------ guest helper
cat > "$T/usr/bin/xenon-io" <<'EOF'
#!/bin/sh
# xenon-io - runs one benchmark step inside the I/O benchmark guest (see guest/build-bench-guest.sh).
emit() {  # emit KIND NAME RC FILE
    echo "XENON-IO-BEGIN $1 $2"
    gzip -c "$4" | base64
    echo "XENON-IO-END $1 $2 $3"
}
cmd=$1
[ $# -gt 0 ] && shift
case $cmd in
net)
    dev=""
    for d in /sys/class/net/*; do
        n=${d##*/}
        [ "$n" = lo ] || { dev=$n; break; }
    done
    [ -n "$dev" ] || { echo "XENON-IO-ERROR net: no network interface"; exit 1; }
    ip link set lo up
    ip link set "$dev" up
    ip addr add "$1" dev "$dev" || exit 1
    echo "XENON-IO-NET $dev $1 $(cat "/sys/class/net/$dev/address")"
    if [ -n "$2" ]; then
        i=0
        until ping -c 1 -W 1 "$2" >/dev/null 2>&1; do
            i=$((i + 1))
            [ $i -ge 20 ] && { echo "XENON-IO-ERROR net: $2 does not answer"; exit 1; }
        done
    fi
    ;;
script)
    echo "$1" | base64 -d | gunzip > /tmp/xenon-io.sh || { echo "XENON-IO-ERROR script: cannot decode"; exit 1; }
    echo "XENON-IO-SCRIPT"
    sed 's/^/  | /' /tmp/xenon-io.sh
    sh -e /tmp/xenon-io.sh
    ;;
fio)
    name=$1; shift
    fio --output-format=json --name="$name" "$@" > /tmp/out.json 2> /tmp/err.txt
    rc=$?
    sed 's/^/fio: /' /tmp/err.txt
    emit fio "$name" "$rc" /tmp/out.json
    ;;
iperf)
    name=$1; shift
    iperf3 --json "$@" > /tmp/out.json 2> /tmp/err.txt
    rc=$?
    sed 's/^/iperf3: /' /tmp/err.txt
    emit iperf "$name" "$rc" /tmp/out.json
    ;;
*)
    echo "usage: xenon-io script|net|fio|iperf ..." >&2
    exit 2
    ;;
esac
EOF
chmod 755 "$T/usr/bin/xenon-io"

# ------------------------------------------------------------------ check and pack
# Every NEEDED of every ELF we ship must be shipped too (the closure is complete).
for f in "$T"/usr/bin/* "$T"/usr/lib/"$MULTIARCH"/*; do
    [ "$(od -An -tx1 -N4 "$f" | tr -d ' \n')" = 7f454c46 ] || continue
    for so in $(elf_needed "$f"); do
        [ -e "$T/usr/lib/$MULTIARCH/$so" ] || [ -e "$T/lib64/$so" ] || xdie "${f#"$T"} needs $so, which is not in the tree"
    done
done

# ...and loads: Debian's ld.so searches /usr/lib/x86_64-linux-gnu by default, so no ld.so.cache
# is needed. (chroot runs the tree's own ld.so and libc; nothing of this machine's is used.)
for t in $TOOLS; do
    chroot "$T" "/usr/bin/$t" --version >/dev/null 2>&1 || xdie "/usr/bin/$t does not start in the assembled tree"
done

R=$BUILD/out
mkdir -p "$R"
make_cpio "$T" "$BUILD/tools.cpio"
gzip -9 -n -c "$BUILD/tools.cpio" > "$R/tools.cpio.gz"
cat "$GUEST/initrd.img" "$R/tools.cpio.gz" > "$R/bench-initrd.img"
cp "$GUEST/version" "$R/version"
# sorted: up_to_date passes the names in this order and candidate_versions answers in it
for p in "${!USED[@]}"; do echo "$p=${PKG_VER[$p]}"; done | LC_ALL=C sort > "$R/packages"
{
    echo "key: $KEY"
    echo "default guest: $(readlink -f "$GUEST")"
    echo "tools: $VERSIONS" | tr '\n' ' '; echo
    echo "tools.cpio.gz: $(stat -c %s "$R/tools.cpio.gz") bytes ($(stat -c %s "$BUILD/tools.cpio") uncompressed)"
    echo "bench-initrd.img: $(stat -c %s "$R/bench-initrd.img") bytes"
    echo "files:"
    printf '  %s\n' "${ORIGINS[@]}"
} > "$R/build-info"
touch "$R/.complete"

rm -rf "$OUT"
mv "$R" "$OUT"
# earlier builds are of no further use (bench/io copies what it needs before it starts)
find "$B" -mindepth 1 -maxdepth 1 -type d ! -name '.*' ! -path "$OUT" -exec rm -rf {} +
xlog "built $OUT ($(sed -n 's/^bench-initrd.img: //p' "$OUT/build-info"))"
publish
