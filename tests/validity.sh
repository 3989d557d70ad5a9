#!/usr/bin/env bash
# validity.sh CHAINSIM [--quick] - runs the selfish-mining grid and prints
# the attacker's simulated revenue share beside Eyal and Sirer's closed form
#   R = (a(1-a)^2 (4a + g(1-2a)) - a^3) / (1 - a(1 + (2-a)a))
# for hash power a and gamma g, on a network where natural forks are rare
# (full mesh of 5 nodes, 10 ms constant latency, 600 s blocks, pushed
# blocks, no retarget). Each point is one run of `duration` simulated time
# (~6,000 blocks per 1000 h). Then the double-spend grid (below). Exits 1
# when a selfish point is off by more than 0.01 or a double-spend point by
# more than 0.03.
# --quick: a shorter run per point (a smoke test; tolerance not checked).
set -euo pipefail
bin=${1:?usage: validity.sh CHAINSIM [--quick]}
duration=${VALIDITY_DURATION:-16000h}
check=1
if [ "${2:-}" = --quick ]; then duration=1000h; check=0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The network both grids share: fast enough that natural forks are rare.
network() {
  cat <<INI
[scenario]
name = validity-$1
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
INI
}
{ network selfish; cat <<INI
[adversary eve]
kind = selfish
nodes = 0
hashpower = 0.3
gamma = 0
INI
} > "$tmp/selfish.ini"
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

# Double spends: the share of attempts that succeed against the closed
# form for this model (the attacker starts its private branch when it pays,
# the merchant accepts n blocks deep, the attacker wins once its branch is
# strictly longer after that; Rosenfeld's derivation without his pre-mined
# block):  r = sum_m C(m+n-1, m) p^n q^m a(n-m),  a(z) = (q/p)^(z+1) for
# z >= 0, 1 for z < 0. give_up = 25 stands for "never" (catching up from 25
# behind has probability (q/p)^26, below 1e-6 on this grid).
{ network double-spend; cat <<INI
[adversary mallory]
kind = double-spend
nodes = 0
hashpower = 0.1
confirmations = 1
give_up = 25
attempts = 1000000
INI
} > "$tmp/ds.ini"
echo
printf '%-7s %-7s %-10s %-10s %-8s %-8s %s\n' q n simulated analytic diff attempts verdict
for point in 0.1:1 0.1:2 0.2:1 0.2:3 0.3:2 0.3:4 0.35:6 0.4:3; do
  q=${point%:*} n=${point#*:}
  db=$tmp/ds-$q-$n.db
  "$bin" run "$tmp/ds.ini" --quiet --out "$db" --set adversary.mallory.hashpower="$q" \
    --set adversary.mallory.confirmations="$n" > /dev/null
  row=$(sqlite3 -separator ' ' "$db" "SELECT 1.0 * sum(outcome = 'success') / count(*), count(*)
                                      FROM double_spends WHERE outcome != 'open'")
  sim=${row% *} tries=${row#* }
  awk -v q="$q" -v n="$n" -v s="$sim" -v k="$tries" -v check="$check" 'BEGIN {
    p = 1 - q; r = 0; c = 1;                       # c = C(m+n-1, m)
    for (m = 0; m < 2000; m++) {
      if (m > 0) c = c * (m + n - 1) / m;
      z = n - m; a = z < 0 ? 1 : (q / p)^(z + 1);
      r += c * p^n * q^m * a;
    }
    d = s - r; ad = d < 0 ? -d : d;
    verdict = !check ? "-" : ad <= 0.03 ? "ok" : "OFF";
    printf "%-7s %-7s %-10.4f %-10.4f %+-8.4f %-8d %s\n", q, n, s, r, d, k, verdict;
    exit(check && ad > 0.03) }' || fail=$((fail + 1))
done
[ "$fail" -eq 0 ] || { echo "validity: $fail point(s) off by more than the tolerance (0.01 selfish, 0.03 double spends)" >&2; exit 1; }
