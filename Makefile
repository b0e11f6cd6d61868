# The two commands of README.md: `make run` and `make test`.
CARGO ?= cargo
JOBS ?= 2
ARGS ?=

.PHONY: run test deps build check

deps:
	@./scripts/install-deps.sh

build: deps
	$(CARGO) build --release -j$(JOBS) --bin onvif-rtsp-server

## Runs the server on its embedded defaults (or rtsp.cfg in this directory).
run: build
	./target/release/onvif-rtsp-server $(ARGS)

## Runs every test: unit, simulation and black-box tests with real clients.
test: deps
	$(CARGO) build -j$(JOBS) --workspace --all-targets
	$(CARGO) test -j$(JOBS) --workspace

## Formatting and lints, as CI reviewers expect them.
check:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -j$(JOBS) --workspace --all-targets -- -D warnings
