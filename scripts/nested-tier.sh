#!/usr/bin/env bash
# The machine tier where this host cannot run it: builds the test assemblies and runs every test
# with the trait Requires=Kvm inside the nested host (one boot), writing one .trx per assembly
# into RESULTS_DIR. On the host those tests were reported as skipped with the reason.
#   scripts/nested-tier.sh RESULTS_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
results=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/xenon-nested-tier.XXXXXX")
trap 'rm -rf "$work"' EXIT
projects=(Kvm Machine System)
for p in "${projects[@]}"; do
    dotnet build "$here/tests/Xenon.$p.Tests/Xenon.$p.Tests.csproj" -c Release -o "$work/$p" -nologo -v q >/dev/null
done
cat > "$work/run.sh" <<'INNER'
rc=0
for p in Kvm Machine System; do
    echo "== nested: Xenon.$p.Tests (Requires=Kvm)"
    # Each assembly's Requires=Kvm tests take well under a minute; the limit keeps a hung test
    # from holding CI past its 90 minutes (the assembly then has no .trx and counts as failed).
    (cd "$p" && timeout -k 10 420 dotnet "Xenon.$p.Tests.dll" -trait "Requires=Kvm" -trx "../$p.trx" -noColor -noLogo) || rc=1
done
exit $rc
INNER
set +e
bash "$here/nested/run.sh" -t 1400 "$work" -- bash run.sh
status=$?
set -e
mkdir -p "$results"
for p in "${projects[@]}"; do
    if [ -f "$work/$p.trx" ]; then
        cp "$work/$p.trx" "$results/nested-$p.trx"
    else
        echo "nested tier: Xenon.$p.Tests left no results (timed out or crashed inside the nested host)" >&2
        [ "$status" -ne 0 ] || status=1
    fi
done
exit $status
