# A thin front door to CMake. `make` builds, `make run` runs the issuer,
# `make test` runs every test (under
# AddressSanitizer + UndefinedBehaviorSanitizer unless GR_SANITIZE says
# otherwise), `make fuzz` builds the libFuzzer targets, `make bench` prints the
# figures, `make examples` builds examples/ (the guide's issuer: build/.../examples/guide).
# Missing Debian and npm packages are installed on the way.

comma := ,
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
GR_CMAKE_FLAGS ?=

# `make` builds plainly unless asked; `make test` is sanitized unless asked.
ifeq ($(origin GR_SANITIZE),undefined)
BUILD_SANITIZE :=
TEST_SANITIZE  := address$(comma)undefined
else
BUILD_SANITIZE := $(GR_SANITIZE)
TEST_SANITIZE  := $(GR_SANITIZE)
endif

dir_for = build/$(if $(1),$(subst $(comma),-,$(1)),plain)
BUILD_DIR := $(call dir_for,$(BUILD_SANITIZE))
TEST_DIR  := $(call dir_for,$(TEST_SANITIZE))
FUZZ_DIR  := build/fuzz
BENCH_DIR := build/bench

.PHONY: all build run test examples fuzz bench lint format clean deps deps-test deps-bench

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

deps-bench:
	@scripts/deps.sh bench

build: deps
	@cmake -S . -B $(BUILD_DIR) -DGR_SANITIZE=$(BUILD_SANITIZE) $(GR_CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@ln -sfn $(notdir $(BUILD_DIR)) build/current
	@echo "built: $(BUILD_DIR)/gramota"

# The issuer on the embedded defaults: SQLite and a generated key in ./gramota-data.
run: build
	@exec $(BUILD_DIR)/gramota serve $(ARGS)

test: deps-test
	@cmake -S . -B $(TEST_DIR) -DGR_SANITIZE=$(TEST_SANITIZE) $(GR_CMAKE_FLAGS) >/dev/null
	@cmake --build $(TEST_DIR) -j $(JOBS)
	@scripts/run-tests.sh $(TEST_DIR)

# The examples on the library, alone: examples/guide/guide.c, the guide's issuer in C.
examples: deps
	@cmake -S . -B $(BUILD_DIR) -DGR_SANITIZE=$(BUILD_SANITIZE) -DGR_EXAMPLES=ON $(GR_CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target guide
	@echo "built: $(BUILD_DIR)/examples/guide (docs/guide.md)"

fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_DIR) -DGR_FUZZ=ON -DGR_SANITIZE=address$(comma)undefined \
		-DBUILD_TESTING=OFF $(GR_CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS)
	@echo "fuzz targets: $(FUZZ_DIR)/fuzz/ (scripts/fuzz.sh TARGET SECONDS runs one)"

bench: deps-bench
	@cmake -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF $(GR_CMAKE_FLAGS) >/dev/null
	@cmake --build $(BENCH_DIR) -j $(JOBS)
	@scripts/bench.sh $(BENCH_DIR)

lint:
	@scripts/lint.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
