# Thin wrapper over CMake for the README's commands.
#   make demo    install build dependencies, build, run the demo pipeline
#   make check   install test dependencies, build, run every test (also under ASan+UBSan)
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
# Tests mostly wait (servers, timeouts): twice as many at once as there are cores.
TEST_JOBS  ?= $(shell echo $$(( $(JOBS) * 2 )))
SHARED     ?= $(abspath ../shared)

.PHONY: all demo check deps deps-build web-deps build test asan fuzz bench install package clean

all: build

deps-build:
	tests/install-deps --build

deps:
	tests/install-deps

# sp-serve embeds uPlot from web/node_modules (pinned by web/package-lock.json).
web-deps:
	@test -f web/node_modules/uplot/dist/uPlot.iife.min.js || npm ci --prefix web --no-audit --no-fund --loglevel=error

build: web-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_BUILD_TESTS=ON
	cmake --build $(BUILD) -j $(JOBS)

demo: deps-build web-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_BUILD_TESTS=OFF
	cmake --build $(BUILD) -j $(JOBS)
	tests/demo $(BUILD) $(SHARED)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS)

# The unit and CLI tests again, built with AddressSanitizer and UndefinedBehaviorSanitizer.
asan: web-deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSP_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(TEST_JOBS) -L 'unit|cli'

# Every libFuzzer target (tests/fuzz) for FUZZ_SECONDS each, after replaying its regressions.
FUZZ_SECONDS ?= 30
fuzz: web-deps
	tests/fuzz/run --time $(FUZZ_SECONDS) --jobs $(JOBS)

check: deps
	$(MAKE) asan
	$(MAKE) test
	$(MAKE) fuzz

bench: build
	tests/bench/validate $(BUILD) $(SHARED)
	tests/bench/schema $(BUILD) $(SHARED)
	tests/bench/filter $(BUILD) $(SHARED)
	tests/bench/sink $(BUILD) $(SHARED)
	tests/bench/enrich $(BUILD) $(SHARED)
	tests/bench/ingest $(BUILD) $(SHARED)
	tests/bench/agg $(BUILD) $(SHARED)
	tests/bench/match $(BUILD) $(SHARED)
	tests/bench/mqtt $(BUILD) $(SHARED)
	tests/bench/kafka $(BUILD) $(SHARED)
	tests/bench/ack $(BUILD) $(SHARED)
	tests/bench/serve $(BUILD) $(SHARED)

install: build
	cmake --install $(BUILD)

package: build
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
