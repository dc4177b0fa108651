# rocket-sandbox: the two commands a newcomer needs are `make run` and
# `make test`; both set up whatever is missing first.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/rocket-sandbox
# Go test timeout for the whole suite (CI has 90 minutes in all).
TEST_TIMEOUT ?= 45m

.PHONY: screenshots all packages packages-test build setup setup-reference doctor run test reliability lint fuzz bench bench-jail bench-flags bench-service bench-edit bench-native bench-workers bench-redis bench-api bench-files bench-summary parity api-doctests examples clean

all: build

# Debian packages (rustc-web, lld, wasi-libc, libseccomp-dev, ...).
packages:
	@./scripts/install-packages.sh

# Debian packages only the tests start (redis-server, chromium): never
# needed by `make run`.
packages-test:
	@./scripts/install-packages.sh --tests

build: packages
	@echo "[build] $(BIN)"
	@./scripts/ticker.sh "[build] go build" $(GO) build -o $(BIN) .

# Toolchain: wasm std sysroot, patched Rocket, prepared dependencies: what
# the service needs.
setup: build
	@./$(BIN) setup

# The same, plus what only the parity tool, its tests and the native
# benchmark use: the native reference profile, and the cargo reference of
# record (the profile's crates fetched into the state dir and built for
# `cargo test --doc`).
setup-reference: build
	@./$(BIN) setup --reference

# Checks every precondition of the service and says how to fix what fails.
doctor: build
	@./$(BIN) doctor

run: setup
	./$(BIN) serve

test: setup-reference packages-test
	@echo "[test] go vet"
	@$(GO) vet ./...
	@echo "[test] go test (real rustc, Rocket, jail, wazero, HTTP server)"
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

# The README's screenshots (docs/playground.png, docs/guide.png), taken by
# the browser tests in Chromium against the real service; `make test`
# takes them too but writes nothing.
screenshots: setup packages-test
	ROCKET_SANDBOX_SCREENSHOTS=1 $(GO) test -count=1 -run 'TestTypeAProgramAndRunIt|TestRunAGuideBlock' ./browser/

# The fault and load suite on its own (make test runs it too): the real
# binary loaded past admission, killed mid-compile and mid-run, and the
# guide corpus across a restart on both wazero engines. docs/reliability.md.
reliability: setup-reference
	$(GO) test -count=1 -v ./reliability/

lint:
	@test -z "$$(gofmt -l . | grep -v '^harnesses/.patched' | tee /dev/stderr)"
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

clean:
	rm -rf bin

# Every Go fuzz target in the tree (go test -list finds them; not e2e,
# whose TestMain starts the whole service), each for
# FUZZTIME; new findings land in the package's testdata/fuzz and fail the run.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./... | grep -v /e2e$$); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "[fuzz] $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME); \
	  done; \
	done

# Benchmarks (programs, not timed tests); results go to bench/results/.
bench-jail: setup
	$(GO) run ./bench/jailbench

bench-flags: setup
	$(GO) run ./bench/flagsbench

# The service benchmark measures a baseline binary in the same run:
# BASELINE_REV, built from git into bin/baseline (the commit before issue
# 16's work, by default).
BASELINE_REV ?= cef796d
bench-service: setup
	@rm -rf bin/baseline-src && mkdir -p bin/baseline-src
	@git archive $(BASELINE_REV) | tar -x -C bin/baseline-src
	@echo "[bench] building the baseline $(BASELINE_REV)"
	@cd bin/baseline-src && $(GO) build -o ../baseline .
	@rm -rf bin/baseline-src
	$(GO) run ./bench/servicebench -baseline-bin bin/baseline -baseline-name "$(BASELINE_REV) (before issue 16)"

# Edit → Run (a session's warm incremental directory) against a local
# `cargo build` of the same edits, and cold mid-size compiles against
# their bare compile+link: bench/results/edit-run.md. The native project
# (bin/editbench-native) keeps its dependencies built between runs.
bench-edit: setup build
	$(GO) run ./bench/editbench

bench-native: setup-reference
	$(GO) run ./bench/nativebench

bench-workers: setup
	$(GO) run ./bench/workerbench

# Two replicas + Redis vs one replica: memoized hits through Redis.
bench-redis: setup packages-test
	$(GO) run ./bench/redisbench

# Metrics overhead (memo hits with and without the metrics middleware) and
# capacity per core (cold, warm, memo): bench/results/api-ops.md.
bench-api: setup
	$(GO) run ./bench/apibench

# Binary files: a project file sent as text and as base64, through the
# real server and service, decoded and checked: bench/results/binary-files.md.
bench-files: setup
	$(GO) run ./bench/filesbench

# Guide parity: every ```rust block of ../shared/rocket-guide through the
# example harness in the sandbox and through real `cargo test --doc`
# (internal/cargoref); table + summary line.
GUIDE ?= ../shared/rocket-guide
parity: setup-reference
	./$(BIN) parity --guide $(GUIDE) --out bench/results/guide-parity.md

# Rocket's API documentation: every fenced block of rocket 0.5.1's doc
# comments (from the reference's cargo registry) through the example
# harness, against the crate's own `cargo test --doc` with the profile's
# Rocket features (harnesses/deps/Cargo.toml). Long the first time (~40 min
# on 2 busy cores); cargo's run is cached after.
ROCKET_FEATURES ?= json,secrets,mtls
api-doctests: setup-reference
	./$(BIN) parity --crate rocket-0.5.1 --features $(ROCKET_FEATURES) --out bench/results/rocket-api-doctests.md

# Rocket's example apps (../shared/rocket-examples, Rocket's examples/ at
# v0.5.1, read where they are): each one's own tests sent unmodified as a
# project through the test harness, and run natively by real `cargo test`
# on a workspace of copies with the path dependencies mapped to crates.io;
# one row per example with parity yes/no and the cause of each difference.
# The native build is long the first time (its target dir is kept in the
# state dir). Not part of `make test`; e2e runs a subset.
EXAMPLES ?= ../shared/rocket-examples
examples: setup-reference
	./$(BIN) examples --dir $(EXAMPLES) --out bench/results/rocket-examples.md

# Issue 16's table from the files one `make bench` run wrote, beside the
# previous round's figures as committed at PREVIOUS_REV:
# bench/results/issue16.md.
PREVIOUS_REV ?= 7c9352d
bench-summary:
	$(GO) run ./bench/summary -previous $(PREVIOUS_REV)

# Everything, then issue 16's table: about 30 minutes on 2 cores.
bench: bench-jail bench-flags bench-service bench-edit bench-native bench-workers bench-redis bench-api bench-files
	@$(MAKE) --no-print-directory bench-summary
