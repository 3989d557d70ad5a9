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
echo "== network-only broadcast: scenarios/broadcast-2019.ini (20 x 535 KB, announce/request) =="
run_case "1,000 nodes" scenarios/broadcast-2019.ini --set network.nodes=1000 --set record.detail=messages
run_case "10,000 nodes" scenarios/broadcast-2019.ini --set record.detail=messages
run_case "10,000 nodes, per-node arrivals recorded" scenarios/broadcast-2019.ini
