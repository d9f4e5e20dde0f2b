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
    # System holds the full-system scenarios (about 15 minutes of guest boots under TCG); the others take seconds.
    (cd "$p" && timeout 2400 dotnet "Xenon.$p.Tests.dll" -trait "Requires=Kvm" -trx "../$p.trx" -noColor -noLogo) || rc=1
done
exit $rc
INNER
set +e
bash "$here/nested/run.sh" -t 3000 "$work" -- bash run.sh
status=$?
set -e
mkdir -p "$results"
for p in "${projects[@]}"; do
    [ -f "$work/$p.trx" ] && cp "$work/$p.trx" "$results/nested-$p.trx"
done
exit $status
