#!/usr/bin/env bash
# validity.sh CHAINSIM [--quick] - runs the selfish-mining grid and prints
# the attacker's simulated revenue share beside Eyal and Sirer's closed form
#   R = (a(1-a)^2 (4a + g(1-2a)) - a^3) / (1 - a(1 + (2-a)a))
# for hash power a and gamma g, on a network where natural forks are rare
# (full mesh of 5 nodes, 10 ms constant latency, 600 s blocks, pushed
# blocks, no retarget). Each point is one run of `duration` simulated time
# (~6,000 blocks per 1000 h). Exits 1 when a point is off by more than 0.01.
# --quick: a shorter run per point (a smoke test; tolerance not checked).
set -euo pipefail
bin=${1:?usage: validity.sh CHAINSIM [--quick]}
duration=${VALIDITY_DURATION:-16000h}
check=1
if [ "${2:-}" = --quick ]; then duration=1000h; check=0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/selfish.ini" <<INI
[scenario]
name = validity-selfish
duration = $duration
[network]
nodes = 5
topology = full-mesh
profile = uniform
latency = constant
latency_mean = 10ms
[record]
detail = summary
sample_interval = 1000h
[relay]
push = true
[consensus]
kind = pow
block_interval = 600s
retarget_blocks = 0
[adversary eve]
kind = selfish
nodes = 0
hashpower = 0.3
gamma = 0
INI
printf '%-7s %-7s %-10s %-10s %-8s %-8s %s\n' alpha gamma simulated analytic diff blocks verdict
fail=0
for point in 0.1:0 0.2:0 0.3:0 0.35:0 0.4:0 0.45:0 0.2:0.5 0.25:0.5 0.3:0.5 0.4:0.5 0.3:1 0.35:0.25; do
  a=${point%:*} g=${point#*:}
  db=$tmp/run-$a-$g.db
  "$bin" run "$tmp/selfish.ini" --quiet --out "$db" --set adversary.eve.hashpower="$a" \
    --set adversary.eve.gamma="$g" > /dev/null
  row=$(sqlite3 -separator ' ' "$db" "SELECT revenue_share, main_blocks FROM adversaries")
  sim=${row% *} blocks=${row#* }
  awk -v a="$a" -v g="$g" -v s="$sim" -v n="$blocks" -v check="$check" 'BEGIN {
    r = (a * (1 - a)^2 * (4 * a + g * (1 - 2 * a)) - a^3) / (1 - a * (1 + (2 - a) * a));
    if (r < 0) r = 0;
    d = s - r; ad = d < 0 ? -d : d;
    verdict = !check ? "-" : ad <= 0.01 ? "ok" : "OFF";
    printf "%-7s %-7s %-10.4f %-10.4f %+-8.4f %-8d %s\n", a, g, s, r, d, n, verdict;
    exit(check && ad > 0.01) }' || fail=$((fail + 1))
done
[ "$fail" -eq 0 ] || { echo "validity: $fail point(s) off by more than 0.01" >&2; exit 1; }
