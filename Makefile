# Thin wrapper over CMake. See README.md.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 300
CMAKE_FLAGS ?=

.PHONY: all deps build demo test validate bench fuzz contracts clean

all: build

deps:
	@./.ci/install-deps --with-gnuplot --with-graphviz

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS)

demo: build
	./build/chainsim run scenarios/quickstart.ini --out results/quickstart.db
	./build/chainsim plot results/quickstart.db --out plots/quickstart
	./build/chainsim tree results/quickstart.db --out plots/quickstart/tree.svg
	@echo "quick start plots: plots/quickstart/*.png (data and gnuplot scripts beside them)"
	@echo "quick start block tree: plots/quickstart/tree.svg (Graphviz source tree.dot beside it)"

test: deps
	@cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DCHAINSIM_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-test -j $(JOBS)
	cd build-test && ctest --output-on-failure -j $(JOBS)

# Long checks kept out of make test: every preset's digest against the pinned
# ones, and every preset's recorded run replayed (chainsim replay).
validate: build
	./tests/digests.sh build/chainsim
	./tests/replays.sh build/chainsim
	./tests/validate.sh build/chainsim

bench: build
	./tests/bench/run.sh build

# libFuzzer campaign: every driver for FUZZ_SECONDS seconds, one after the
# other (clang needed; see tests/fuzz/run.sh). Crashes: tests/fuzz/crashes/.
fuzz:
	./tests/fuzz/run.sh --build build-fuzz --seconds $(FUZZ_SECONDS)

# Recompiles core/contracts/*.sol with the pinned solc (npm, Node.js needed
# here only) and fails when the committed bytecode or ABI differs.
contracts:
	cd core/contracts && npm ci --no-audit --no-fund --loglevel=error && node compile.js --check

clean:
	rm -rf build build-test build-fuzz
