#!/usr/bin/env bash
# make bench: the event queue's hold rate and network-only broadcast runs.
# Usage: tests/bench/run.sh BUILD_DIR. Prints medians of REPEAT runs (default 3).
set -euo pipefail
build=${1:-build}
repeat=${REPEAT:-3}
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== event queue (hold model, 5 repetitions each) =="
"$build/bench_evq"

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

run_case() { # label, then chainsim run arguments
  local label=$1; shift
  local walls=() mems=() rates=()
  for i in $(seq "$repeat"); do
    out=$("$build/chainsim" run "$@" --out "$tmp/bench-$i.db")
    line=$(grep '^wall ' <<<"$out")
    walls+=("$(awk '{print $2}' <<<"$line")")
    rates+=("$(awk '{print $4}' <<<"$line")")
    mems+=("$(awk '{print $9}' <<<"$line")")
    rm -f "$tmp/bench-$i.db"
  done
  printf '%-44s wall %6.3f s   %5.2f M events/s   peak %7.1f MB   (median of %d)\n' "$label" \
    "$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${rates[@]}" | median)" \
    "$(printf '%s\n' "${mems[@]}" | median)" "$repeat"
}

echo
echo "== proof of work, SimBlock setting: scenarios/simblock-2019.ini (100 blocks of 535 KB, compact relay) =="
run_case "1,000 nodes" scenarios/simblock-2019.ini --set network.nodes=1000
run_case "10,000 nodes" scenarios/simblock-2019.ini

echo
echo "== proof of work with a transaction workload =="
run_case "quickstart (250 nodes, 3 s blocks, 10 tx/s, 5 min)" scenarios/quickstart.ini
run_case "bitcoin (300 nodes, 600 s blocks, 3 tx/s, 3 h)" scenarios/bitcoin.ini

echo
echo "== network-only broadcast: scenarios/broadcast-2019.ini (20 x 535 KB, announce/request) =="
run_case "1,000 nodes" scenarios/broadcast-2019.ini --set network.nodes=1000 --set record.detail=messages
run_case "10,000 nodes" scenarios/broadcast-2019.ini --set record.detail=messages
run_case "10,000 nodes, per-node arrivals recorded" scenarios/broadcast-2019.ini
