# The two commands of the README, plus bench. Everything else is CMake.
BUILD_RELEASE ?= build/release
BUILD_TEST    ?= build/asan
BUILD_BENCH   ?= build/bench
JOBS          ?= $(shell nproc)
HOST          ?= 127.0.0.1
PORT          ?= 8080
DATA          ?= ./data
FUZZ_SECONDS  ?= 600
# Seconds per fuzz target in make test's smoke run (6 targets).
FUZZ_SMOKE_SECONDS ?= 25

.PHONY: deps release run test fuzz bench format clean

deps:
	@bash scripts/install-deps

# The server alone: `make run` builds no tests and no benchmarks.
release: deps
	@cmake -S . -B $(BUILD_RELEASE) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTENANTD_BUILD_TESTS=OFF -DTENANTD_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_RELEASE) -j $(JOBS)

run: release
	@$(BUILD_RELEASE)/apps/tenantd/tenantd serve --host $(HOST) --port $(PORT) --data $(DATA)

# One sanitizer build (ASan + UBSan) runs every suite, the binary under test included.
test: deps
	@cmake -S . -B $(BUILD_TEST) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENANTD_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_TEST) -j $(JOBS)
	@cd $(BUILD_TEST) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 300
	@JOBS=$(JOBS) FUZZ_SEED=1 bash scripts/fuzz.sh $(FUZZ_SMOKE_SECONDS)

# libFuzzer targets (fuzz/, clang-14), each run for FUZZ_SECONDS.
fuzz: deps
	@JOBS=$(JOBS) bash scripts/fuzz.sh $(FUZZ_SECONDS)

# A release build of its own, with the benchmark binaries.
bench: deps
	@cmake -S . -B $(BUILD_BENCH) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTENANTD_BUILD_TESTS=OFF -DTENANTD_BUILD_BENCH=ON >/dev/null
	@cmake --build $(BUILD_BENCH) -j $(JOBS)
	@python3 bench/run.py $(BUILD_BENCH)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf build
