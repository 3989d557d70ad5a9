#!/usr/bin/env bash
# run.sh - builds the libFuzzer drivers with clang and runs them.
#
#   tests/fuzz/run.sh [--smoke] [--build DIR] [--seconds N] [DRIVER...]
#
# DRIVER: scenario, tx, block, units, evm (default: all, one after the other).
#
# Campaign (make fuzz): each driver runs for N seconds (FUZZ_SECONDS, default
# 300) over its seed corpus (tests/fuzz/corpus/<driver>/, and scenarios/ for
# the scenario driver); new inputs go to DIR/corpus/<driver>/ (kept between
# campaigns, not committed); an input that crashes a driver is kept in
# tests/fuzz/crashes/ (ignored by git) and the campaign goes on with the next
# driver. A summary table ends the run; the exit status is 1 when a driver
# crashed.
#
# Smoke (--smoke, the CTest test fuzz_smoke): every driver runs every input of
# its committed corpus (seeds and regression inputs) and then a fixed number
# of fuzzed inputs from a fixed seed (FUZZ_SMOKE_RUNS, default 20000); no
# input is written into the source tree. Exit 77 (CTest: skipped) when clang
# with libFuzzer is missing.
#
# Drivers run one at a time: the machine is shared.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
smoke=0
build="$root/build-fuzz"
seconds="${FUZZ_SECONDS:-300}"
runs="${FUZZ_SMOKE_RUNS:-20000}"
drivers=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --build) build="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    scenario|tx|block|units|evm) drivers+=("$1") ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#drivers[@]} -eq 0 ] && drivers=(scenario tx block units evm)
case "$seconds" in ''|*[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a whole number of seconds, got '$seconds'" >&2; exit 2 ;; esac

# clang with libFuzzer: compile and link a one-line driver.
cc="${FUZZ_CC:-clang}"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! command -v "$cc" >/dev/null 2>&1 ||
   ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
  msg="clang with libFuzzer not found ($cc); on Debian 12: apt-get install clang libclang-rt-14-dev (the libFuzzer runtime is only a recommended package of clang-14)"
  if [ $smoke -eq 1 ]; then echo "fuzz_smoke skipped: $msg"; exit 77; fi
  echo "run.sh: $msg" >&2
  exit 2
fi

jobs=2
cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$probe/cmake.log" 2>&1 ||
  { cat "$probe/cmake.log" >&2; exit 1; }
cmake --build "$build" -j "$jobs" >"$probe/build.log" 2>&1 || { cat "$probe/build.log" >&2; exit 1; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

seeds_of() {
  case "$1" in
    scenario) echo "$here/corpus/scenario $root/scenarios" ;;
    *) echo "$here/corpus/$1" ;;
  esac
}
dict_of() {
  [ -f "$here/$1.dict" ] && echo "-dict=$here/$1.dict" || true
}

status=0
summary=()
for d in "${drivers[@]}"; do
  bin="$build/fuzz_$d"
  log="$build/fuzz_$d.log"
  # shellcheck disable=SC2046
  if [ $smoke -eq 1 ]; then
    scratch="$probe/corpus-$d"
    mkdir -p "$scratch"
    if "$bin" -runs="$runs" -seed=1 -timeout=30 -rss_limit_mb=2048 -artifact_prefix="$probe/" $(dict_of "$d") \
         "$scratch" $(seeds_of "$d") >"$log" 2>&1; then
      summary+=("$(printf '%-9s ok    %s' "$d" "$(grep -o 'Done [0-9]* runs' "$log" | tail -1)")")
    else
      summary+=("$(printf '%-9s FAIL  see %s' "$d" "$log")")
      tail -40 "$log" >&2
      status=1
    fi
  else
    corpus="$build/corpus/$d"
    crashes="$here/crashes"
    mkdir -p "$corpus" "$crashes"
    before=$(ls "$crashes" | grep -c "^$d-" || true)
    echo "fuzz_$d: ${seconds} s (log: $log)"
    start=$(date +%s)
    set +e
    "$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$crashes/$d-" $(dict_of "$d") "$corpus" $(seeds_of "$d") >"$log" 2>&1
    rc=$?
    set -e
    took=$(( $(date +%s) - start ))
    after=$(ls "$crashes" | grep -c "^$d-" || true)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    units=$(ls "$corpus" | wc -l)
    new=$((after - before))
    if [ $rc -ne 0 ] || [ $new -gt 0 ]; then
      status=1
      summary+=("$(printf '%-9s %6s s %10s runs  cov %5s  corpus %5s  CRASH (%d new in tests/fuzz/crashes/)' \
        "$d" "$took" "$execs" "$cov" "$units" "$new")")
      grep -m1 -A12 'ERROR\|property broken\|runtime error' "$log" >&2 || tail -20 "$log" >&2
    else
      summary+=("$(printf '%-9s %6s s %10s runs  cov %5s  corpus %5s  no crash' "$d" "$took" "$execs" "$cov" "$units")")
    fi
  fi
done

echo
echo "fuzz summary ($([ $smoke -eq 1 ] && echo "smoke, $runs runs each after the corpus" || echo "campaign, build $build")):"
for l in "${summary[@]}"; do echo "  $l"; done
exit $status
