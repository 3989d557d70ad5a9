#!/usr/bin/env bash
# The EVM interpreter's million gas per second on loop-heavy bytecode
# (tests/bench/bench_evm.c). Usage: tests/bench/evm.sh BUILD_DIR (run by
# tests/bench/run.sh).
set -euo pipefail
build=${1:-build}
echo
echo "== EVM interpreter, shanghai schedule, 100 M gas per run =="
"$build/bench_evm" "${REPEAT_EVM:-5}"
