#!/usr/bin/env bash
# replays.sh CHAINSIM [PRESET...] - runs presets of scenarios/ and replays
# each recorded run with `chainsim replay`, which must print "reproduced"
# with the digest of the run. Without PRESET names, every preset of
# scenarios/. Run by `make validate`, beside digests.sh.
set -euo pipefail
bin=${1:?usage: replays.sh CHAINSIM [PRESET...]}
shift
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
  names=()
  for f in "$src"/scenarios/*.ini; do names+=("$(basename "$f" .ini)"); done
else
  names=("$@")
fi
pass=0 fail=0
for n in "${names[@]}"; do
  got=$("$bin" run "$src/scenarios/$n.ini" --quiet --out "$tmp/$n.db" | sed -n 's/^digest: //p')
  if out=$("$bin" replay "$tmp/$n.db" 2>&1) && grep -qx "reproduced: $got" <<< "$out"; then
    echo "replays: $n: reproduced $got"
    pass=$((pass + 1))
  else
    echo "replays: $n: run gave $got; replay said:" >&2
    printf '%s\n' "$out" >&2
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
