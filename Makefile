# Thin wrapper over CMake presets. `make run` and `make test` work on a fresh Debian
# bookworm machine as root: they install what is missing first (tools/deps.sh).
PRESET ?= release
BUILD  := build/$(PRESET)
JOBS   ?= 2

.PHONY: all deps configure build run test test-asan bench fuzz soak install clean

all: build

deps:
	@tools/deps.sh

$(BUILD)/build.ninja:
	cmake --preset $(PRESET)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# The main job: compile the example graphs and run the demo (see README.md).
run: build
	@tools/demo.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) -j$(JOBS) --output-on-failure

test-asan:
	$(MAKE) test PRESET=asan

# Benchmarks (docs/performance.md): builds the release preset, runs each suite (each
# prints its own detail), then one table of every target of docs/performance.md from their results.
# BENCH_SIZES overrides the compiler's graph sizes; RUNS the runs per figure.
BENCH_OUT := build/bench-results
bench:
	$(MAKE) build PRESET=release
	rm -rf $(BENCH_OUT) && mkdir -p $(BENCH_OUT)
	BENCH_JSON=$(BENCH_OUT)/compile.json bench/compile_bench.sh build/release $(BENCH_SIZES)
	BENCH_JSON=$(BENCH_OUT)/runtime.json bench/runtime_bench.sh build/release
	BENCH_JSON=$(BENCH_OUT)/net.json bench/net_bench.sh build/release
	/usr/bin/python3 bench/table.py $(BENCH_OUT)/compile.json $(BENCH_OUT)/runtime.json $(BENCH_OUT)/net.json

# libFuzzer harnesses with clang-14, ASan and UBSan, 60 s each (FUZZ_SECONDS=…).
fuzz:
	@tools/deps.sh fuzz
	@tools/fuzz.sh

# The simulation invariants (tests/sim/invariants_test.cc) over many more seeds and
# fault schedules than `make test` runs: SOAK_SEEDS=… (default 10000).
SOAK_SEEDS ?= 10000
soak: build
	BB_SIM_SEEDS=$(SOAK_SEEDS) ctest --test-dir $(BUILD) -R SimInvariants --output-on-failure

install: build
	cmake --install $(BUILD)

clean:
	rm -rf build
