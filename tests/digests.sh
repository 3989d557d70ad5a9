#!/usr/bin/env bash
# digests.sh CHAINSIM [PRESET...] - runs presets of scenarios/ and compares
# each run's digest with tests/golden/preset-digests.txt, which pins the
# digests of every preset as recorded with this build's behaviour. A change
# of behaviour (intended or not) shows up here as a diff; an intended one
# updates the file in the same commit and says why.
# Without PRESET names, runs every preset listed in the file.
set -euo pipefail
bin=${1:?usage: digests.sh CHAINSIM [PRESET...]}
shift
src=$(cd "$(dirname "$0")/.." && pwd)
golden=$src/tests/golden/preset-digests.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
  mapfile -t names < <(awk '{print $1}' "$golden")
else
  names=("$@")
fi
pass=0 fail=0
for n in "${names[@]}"; do
  want=$(awk -v n="$n" '$1 == n {print $2}' "$golden")
  if [ -z "$want" ]; then
    echo "digests: $n: not in $golden" >&2
    fail=$((fail + 1))
    continue
  fi
  got=$("$bin" run "$src/scenarios/$n.ini" --quiet --out "$tmp/$n.db" | sed -n 's/^digest: //p')
  if [ "$got" = "$want" ]; then
    echo "digests: $n: $got (as pinned)"
    pass=$((pass + 1))
  else
    echo "digests: $n: got '$got', pinned $want" >&2
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
