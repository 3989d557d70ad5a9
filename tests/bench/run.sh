#!/usr/bin/env bash
# make bench: the event queue's hold rate, whole runs of the presets, and the
# transaction-scale runs.
# Usage: tests/bench/run.sh BUILD_DIR. Short runs print medians of REPEAT
# runs (default 3); the long ones (an hour of transactions, a million nodes)
# run once each (LONG=0 skips them).
set -euo pipefail
build=${1:-build}
repeat=${REPEAT:-3}
long=${LONG:-1}
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== event queue (hold model, 5 repetitions each) =="
"$build/bench_evq"
./tests/bench/evm.sh "$build"

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

# One run: wall, user CPU, events/s, peak memory; with a per-minute sample
# interval, the CPU time (the process's, user + system, from the
# CHAINSIM_CPU_TRACE lines the run prints at every sample) of simulated
# minutes 1, 10 and 60, and the median minute of each ten minutes.
children_user() { # user CPU seconds of every child this shell has waited for, into file $1
  times >"$1" # not in a subshell: it would count its own children
  awk 'NR == 2 { split($1, a, "m"); sub("s", "", a[2]); print a[1] * 60 + a[2] }' "$1" >"$1.s"
}

long_case() { # label, then chainsim run arguments
  local label=$1; shift
  local before after line
  children_user "$tmp/before"
  CHAINSIM_CPU_TRACE=1 "$build/chainsim" run "$@" --out "$tmp/long.db" >"$tmp/long.out" 2>"$tmp/long.err"
  children_user "$tmp/after"
  before=$(cat "$tmp/before.s")
  after=$(cat "$tmp/after.s")
  line=$(grep '^wall ' "$tmp/long.out")
  printf '%-44s wall %7.2f s   user %7.2f s   %5.2f M events/s   peak %7.1f MB   (one run)\n' "$label" \
    "$(awk '{print $2}' <<<"$line")" "$(awk -v a="$after" -v b="$before" 'BEGIN {print a - b}')" \
    "$(awk '{print $4}' <<<"$line")" "$(awk '{print $9}' <<<"$line")"
  if grep -q '^cpu-trace: ' "$tmp/long.err"; then
    awk '/^cpu-trace: / { t[int($2 / 60 + 0.5)] = $3 }
         END { out = "";
               for (m = 1; m <= 60; m++)
                 if ((m == 1 || m == 10 || m == 60) && (m in t) && ((m - 1) in t))
                   out = out sprintf("   minute %d: %.2f s", m, t[m] - t[m - 1]);
               if (out != "") printf "%-44s%s\n", "  CPU per simulated minute", out;
               # medians over each ten minutes: the figure of one minute follows
               # the backlog of the moment (PoW gaps), not the length of the run
               out = "";
               for (d = 0; d < 6; d++) {
                 n = 0;
                 for (m = 10 * d + 1; m <= 10 * d + 10; m++)
                   if ((m in t) && ((m - 1) in t)) v[++n] = t[m] - t[m - 1];
                 if (n == 0) continue;
                 for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j] < v[j - 1]; j--) { x = v[j]; v[j] = v[j - 1]; v[j - 1] = x }
                 out = out sprintf("  %d-%d: %.2f s", 10 * d + 1, 10 * d + 10, n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2);
               }
               if (out != "") printf "%-44s%s\n", "  median per minute, by ten minutes", out }' "$tmp/long.err"
  fi
  rm -f "$tmp/long.db"
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

if [ "$long" != 0 ]; then
  echo
  echo "== transactions at scale: scenarios/bitcoin.ini, 60 s blocks, one simulated hour (one run each) =="
  long_case "1,000 nodes, 100 tx/s" scenarios/bitcoin.ini --set network.nodes=1000 \
    --set workload.tx_rate=100/s --set consensus.block_interval=60s --set scenario.duration=1h
  long_case "10,000 nodes, 10 tx/s" scenarios/bitcoin.ini --set network.nodes=10000 \
    --set workload.tx_rate=10/s --set consensus.block_interval=60s --set scenario.duration=1h
  echo
  echo "== a million nodes: scenarios/simblock-2019.ini, 10 blocks (one run) =="
  long_case "1,000,000 nodes x 10 blocks" scenarios/simblock-2019.ini --set network.nodes=1000000 \
    --set consensus.max_blocks=10
fi
