#!/usr/bin/env bash
# The EVM interpreter's million gas per second on loop-heavy bytecode and
# on calls of the compiled contracts (tests/bench/bench_evm.c).
# Usage: tests/bench/evm.sh BUILD_DIR (run by tests/bench/run.sh, from the
# repository's root folder or anywhere).
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/../.."
echo
echo "== EVM interpreter, shanghai schedule, 100 M gas per run =="
"$build/bench_evm" "${REPEAT_EVM:-5}" core/contracts
