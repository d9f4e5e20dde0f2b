# shellcheck shell=bash
# Helpers shared by guest/build-guest.sh and nested/build-host.sh: everything they fetch comes
# from Debian's package registry through apt, and everything they build is keyed by the package
# versions and the scripts' own content, so a changed input means a rebuild.
# Sourced, not executed; callers have `set -euo pipefail`.

XENON_CACHE=${XENON_CACHE:-/var/cache/xenon}
XENON_DEBS=$XENON_CACHE/debs
export DEBIAN_FRONTEND=noninteractive

xlog() { echo "== ${XLOG_TAG:-xenon}: $*" >&2; }
xdie() { echo "!! ${XLOG_TAG:-xenon}: $*" >&2; exit 1; }

# apt's lists decide which versions are "current"; refresh them when they are missing or older
# than XENON_APT_MAX_AGE seconds (default 6 h) so repeated test runs do not hit the mirror each time.
apt_refresh() {
    local newest age max=${XENON_APT_MAX_AGE:-21600}
    newest=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -printf '%T@\n' 2>/dev/null | sort -n | tail -1)
    if [ -n "$newest" ]; then
        age=$(( $(date +%s) - ${newest%.*} ))
        [ "$age" -lt "$max" ] && return 0
    fi
    xlog "apt-get update"
    apt-get update -qq >&2 || xdie "apt-get update failed"
}

# Installs the host packages named (Debian names) that are not installed yet.
ensure_host_packages() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    xlog "installing host packages: ${missing[*]}"
    apt-get update -qq >&2 || xdie "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || xdie "apt-get install ${missing[*]} failed"
}

# Version apt would install for a package (empty when unknown).
candidate_version() {
    apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -1
}

# candidate_versions PKG... -> "PKG=VERSION" lines, one apt-cache call for all (each call parses
# every list when apt's binary cache is disabled, about a second here). Fails on an unknown PKG.
candidate_versions() {
    local out p v
    out=$(apt-cache show --no-all-versions "$@" 2>/dev/null | awk '/^Package: /{p=$2} /^Version: /{print p "=" $2}') || true
    for p in "$@"; do
        v=$(grep -m1 "^$p=" <<<"$out" || true)
        [ -n "$v" ] || xdie "no candidate version for $p"
        echo "$v"
    done
}

# Identifies the state of apt's lists: when it and the scripts are unchanged, every version a
# build was keyed on is unchanged too, and the apt-cache queries can be skipped.
apt_lists_snapshot() {
    find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -printf '%f %T@ %s\n' 2>/dev/null | LC_ALL=C sort | sha256sum | cut -c1-16
}

# The kernel ABI (e.g. 6.1.0-56-cloud-amd64) that linux-image-cloud-amd64 currently depends on.
cloud_kernel_abi() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null \
        | sed -n 's/^ *Depends: linux-image-\([0-9].*-cloud-amd64\)$/\1/p' | head -1
}

# fetch_deb PACKAGE VERSION -> prints the path of the cached .deb (downloads it when missing).
fetch_deb() {
    local pkg=$1 ver=$2 f
    mkdir -p "$XENON_DEBS"
    # apt-get download names files pkg_version_arch.deb with ':' in the version escaped as %3a
    f=$(find "$XENON_DEBS" -maxdepth 1 -name "${pkg}_${ver//:/%3a}_*.deb" | head -1)
    if [ -z "$f" ]; then
        xlog "downloading $pkg $ver"
        (cd "$XENON_DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null) \
            || xdie "apt-get download $pkg=$ver failed"
        f=$(find "$XENON_DEBS" -maxdepth 1 -name "${pkg}_${ver//:/%3a}_*.deb" | head -1)
        [ -n "$f" ] || xdie "downloaded $pkg but cannot find its .deb in $XENON_DEBS"
    fi
    echo "$f"
}

# Module resolution. The cloud kernel package ships no modules.dep, so dependencies come from
# each module's own `depends` field. MODDIR must point at lib/modules/<abi>.
declare -gA XMOD_SEEN=()
XMOD_ORDER=()

module_path() {  # name with - or _ -> path of its .ko*
    local n=$1 f
    f=$(find "$MODDIR/kernel" \( -name "$n.ko" -o -name "$n.ko.*" -o -name "${n//_/-}.ko" -o -name "${n//_/-}.ko.*" \
        -o -name "${n//-/_}.ko" -o -name "${n//-/_}.ko.*" \) -print -quit)
    [ -n "$f" ] && echo "$f"
}

module_is_builtin() {
    local n=${1//-/_}
    sed 's/-/_/g' "$MODDIR/modules.builtin" 2>/dev/null | grep -q "/$n\.ko$"
}

# Appends NAME and its dependencies (dependencies first) to XMOD_ORDER. Built-in modules are
# skipped; an unknown module is an error unless OPTIONAL=1.
module_visit() {
    local n=${1//-/_} f d
    [ -n "${XMOD_SEEN[$n]:-}" ] && return 0
    XMOD_SEEN[$n]=1
    if module_is_builtin "$n"; then return 0; fi
    f=$(module_path "$n") || true
    if [ -z "$f" ]; then
        [ "${OPTIONAL:-0}" = 1 ] && { xlog "module $n not in this kernel (skipped)"; return 0; }
        xdie "module $n not found under $MODDIR"
    fi
    for d in $(modinfo -F depends "$f" | tr ',' ' '); do module_visit "$d"; done
    XMOD_ORDER+=("$f")
}

modules_reset() { XMOD_SEEN=(); XMOD_ORDER=(); }

# Copies module file $1 (possibly compressed) to $2 as a plain .ko; prints the basename used.
module_copy_plain() {
    local f=$1 dir=$2 b
    b=$(basename "$f")
    case "$b" in
        *.ko.xz)  b=${b%.xz};  xz -dc "$f" > "$dir/$b" ;;
        *.ko.zst) b=${b%.zst}; zstd -qdc "$f" > "$dir/$b" ;;
        *.ko.gz)  b=${b%.gz};  gzip -dc "$f" > "$dir/$b" ;;
        *)        cp "$f" "$dir/$b" ;;
    esac
    echo "$b"
}

# Writes a newc cpio of directory $1 to $2 with fixed owners and mtimes, so equal trees give
# byte-identical archives.
make_cpio() {
    local tree=$1 out=$2
    find "$tree" -exec touch -h -d @0 {} +
    (cd "$tree" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --reproducible --quiet) > "$out"
}

# Content hash of files (the scripts that define a build), 16 hex digits.
files_hash() { cat "$@" | sha256sum | cut -c1-16; }

# extract_vmlinux BZIMAGE OUT: the bzImage's payload (located by the boot header's
# payload_offset/payload_length) decompressed to the ELF vmlinux. The format is detected from
# the payload's magic rather than assumed.
extract_vmlinux() {
    local bz=$1 out=$2 setup_sects poff plen start magic n
    setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
    [ "$setup_sects" = 0 ] && setup_sects=4
    poff=$(od -An -tu4 -j $((0x248)) -N4 "$bz" | tr -d ' ')
    plen=$(od -An -tu4 -j $((0x24c)) -N4 "$bz" | tr -d ' ')
    start=$(( (setup_sects + 1) * 512 + poff ))
    magic=$(od -An -tx1 -j "$start" -N6 "$bz" | tr -d ' \n')
    # Every compressor but gzip gets the decompressed size appended as a 4-byte trailer.
    payload() { dd if="$bz" iflag=skip_bytes,count_bytes skip="$start" count="$1" bs=1M status=none; }
    case "$magic" in
        02214c18*)     payload $((plen - 4)) | lz4 -dc > "$out" ;;
        28b52ffd*)     payload $((plen - 4)) | zstd -qdc > "$out" ;;
        fd377a585a00*) payload $((plen - 4)) | xz -dc > "$out" ;;
        1f8b*)         payload "$plen" | gzip -dc > "$out" ;;
        *) xdie "unknown bzImage payload compression (magic $magic) in $bz" ;;
    esac
    [ "$(od -An -tx1 -N4 "$out" | tr -d ' \n')" = 7f454c46 ] || xdie "extracted vmlinux from $bz is not an ELF file"
}
