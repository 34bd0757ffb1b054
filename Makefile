# The front door: a thin wrapper over meson.  `make help` lists the targets.
BUILD      ?= build
SAN_BUILD  ?= build-san
TSAN_BUILD ?= build-tsan
DEMO_CONTEXT ?= examples/minor/pre-release/pass/context.json
DEMO_NOW   ?= 2025-06-10T14:00:00Z

# Sanitizer runs: stop at the first report and say where.
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=23 \
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: all build deps deps-build tests-on demo check test test-san test-tsan fuzz help clean

all: build

help:
	@echo "make          build build/relgate (installs the missing Debian packages it needs, as root)"
	@echo "make demo     evaluate the default policy against an example release"
	@echo "make check    build and run every test, then again under ASan+UBSan, then the threads test under TSan"
	@echo "make fuzz     libFuzzer targets in build-fuzz, FUZZ_SECONDS (60) each (see fuzz/run.sh)"
	@echo "make clean    remove the build directories"

deps:
	@scripts/ensure-deps.sh

deps-build:
	@scripts/ensure-deps.sh --build

# `make build` and `make demo` install only what building needs (no cmocka): without
# cmocka the build is configured without the tests, and `make test`/`make check`, which
# install it, turn them on (tests-on) before building again.
HAVE_CMOCKA ?= pkg-config --exists cmocka

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dtests=$$($(HAVE_CMOCKA) && echo true || echo false)

build: deps-build $(BUILD)/build.ninja
	meson compile -C $(BUILD)

tests-on: deps build
	@if meson introspect --buildoptions $(BUILD) | \
	    python3 -c 'import json,sys; sys.exit(0 if any(o["name"] == "tests" and o["value"] is False for o in json.load(sys.stdin)) else 1)'; then \
	    meson configure $(BUILD) -Dtests=true && meson compile -C $(BUILD); \
	fi

demo: build
	./$(BUILD)/relgate eval --policy policies/octoacme.lua --context $(DEMO_CONTEXT) --now $(DEMO_NOW)

$(SAN_BUILD)/build.ninja:
	meson setup $(SAN_BUILD) -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dc_args=-fno-sanitize-recover=all

test: tests-on
	meson test -C $(BUILD) --print-errorlogs

test-san: deps $(SAN_BUILD)/build.ninja
	meson compile -C $(SAN_BUILD)
	$(SAN_ENV) meson test -C $(SAN_BUILD) --print-errorlogs --timeout-multiplier 2

# Separate objects from separate threads, under ThreadSanitizer (clang; skipped without).
test-tsan: deps
	scripts/test-tsan.sh $(TSAN_BUILD)

# Every suite runs even when one fails, so one run shows everything.
# The pinned npm tools some tests read come first (best effort: scripts/npm-tools.sh).
check: tests-on
	@scripts/npm-tools.sh
	@rc=0; \
	meson test -C $(BUILD) --print-errorlogs || rc=1; \
	$(MAKE) --no-print-directory test-san || rc=1; \
	$(MAKE) --no-print-directory test-tsan || rc=1; \
	scripts/test-summary.py $(BUILD) $(SAN_BUILD); \
	exit $$rc

# libFuzzer targets (clang) in their own build directory, each run FUZZ_SECONDS; fails
# when one finds a crash, leak or timeout.  FUZZ_TARGETS, FUZZ_JOBS: see fuzz/run.sh.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

fuzz: build
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)

# relgate beside the peers of ../shared/peers (docs/performance.md): `make bench` prints one table
# (cold decision, 10k batch, 48 MB and 480 MB SARIF; data in /tmp/peers-data) and bench-serve's, `make crosscheck`
# compares the decisions (TAP; also the 'bench' test suite).
.PHONY: bench bench-store bench-attest bench-serve crosscheck

bench: build
	bench/bench.sh
	python3 bench/serve.py $(BUILD)/relgate

# The decision log's stores: records/s (1 and 32 writers) and last-good at 10^6 records,
# for a file, SQLite and a PostgreSQL server started for the run (bench/store.py).
bench-store: build
	python3 bench/store.py $(BUILD)/relgate

# What signing costs: a cold decision and a 10k batch, plain and with --attest (ECDSA
# P-256, Ed25519; keys made for the run with openssl), and verifying the bundle.
bench-attest: deps build
	python3 bench/attest.py $(BUILD)/relgate

# relgate serve against the CLI batch on the peers' 10k contexts: decisions/s and p50/p99
# latency for 1, 16 and 64 keep-alive clients, peak RSS (bench/serve.py; ~1-3 minutes).
bench-serve: build
	python3 bench/serve.py $(BUILD)/relgate

crosscheck: deps build
	bench/crosscheck.sh
