# rocket-sandbox: the two commands a newcomer needs are `make run` and
# `make test`; both set up whatever is missing first.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/rocket-sandbox
# Go test timeout for the whole suite (CI has 90 minutes in all).
TEST_TIMEOUT ?= 45m

.PHONY: screenshots all packages packages-test build setup setup-reference doctor run test reliability lint fuzz bench bench-jail bench-flags bench-service bench-native bench-redis parity clean

all: build

# Debian packages (rustc-web, lld, wasi-libc, libseccomp-dev, ...).
packages:
	@./scripts/install-packages.sh

# Debian packages only the tests start (redis-server, chromium): never
# needed by `make run`.
packages-test:
	@./scripts/install-packages.sh toolchain/debian-packages-test.txt

build: packages
	@echo "[build] $(BIN)"
	@./scripts/ticker.sh "[build] go build" $(GO) build -o $(BIN) .

# Toolchain: wasm std sysroot, patched Rocket, prepared dependencies: what
# the service needs.
setup: build
	@./$(BIN) setup

# The same, plus the native reference profile that only the parity tool,
# its tests and the native benchmark use.
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

bench-service: setup
	$(GO) run ./bench/servicebench

bench-native: setup-reference
	$(GO) run ./bench/nativebench

# Two replicas + Redis vs one replica: memoized hits through Redis.
bench-redis: setup packages-test
	$(GO) run ./bench/redisbench

# Guide parity: every ```rust block of ../shared/rocket-guide through the
# example harness in the sandbox and natively; table + summary line.
GUIDE ?= ../shared/rocket-guide
parity: setup-reference
	./$(BIN) parity --guide $(GUIDE) --out bench/results/guide-parity.md

# Everything: about 10 minutes on 2 cores.
bench: bench-jail bench-flags bench-service bench-native bench-redis
