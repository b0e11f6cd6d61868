# The two commands of README.md: `make run` and `make test`.
CARGO ?= cargo
JOBS ?= 2
ARGS ?=

.PHONY: run test deps build check venv node-clients

deps:
	@./scripts/install-deps.sh

## The Python ONVIF clients (Home Assistant's onvif-zeep-async, WSDiscovery)
## and the XSD validator, in .venv.
venv: deps
	@./scripts/python-venv.sh

## The npm ONVIF client (agsh/onvif), in conformance/node/node_modules.
node-clients: deps
	@./scripts/node-clients.sh

build: deps
	$(CARGO) build --release -j$(JOBS) --bin onvif-rtsp-server

## Runs the server on its embedded defaults (or rtsp.cfg in this directory).
run: build
	./target/release/onvif-rtsp-server $(ARGS)

## The black-box tests (real clients against the built binary), run a second
## time on the glommio runtime (two shards); the first pass, inside
## `cargo test --workspace`, runs them on the default runtime (smol).
BLACKBOX_TESTS = --test real_clients --test protocol --test onvif --test discovery --test runtimes

## Runs every test: unit, simulation and black-box tests with real clients,
## the black-box ones against both runtimes.
test: deps venv node-clients
	$(CARGO) build -j$(JOBS) --workspace --all-targets
	ONVIF_PYTHON=$(CURDIR)/.venv/bin/python $(CARGO) test -j$(JOBS) --workspace
	ONVIF_RTSP_RUNTIME=glommio ONVIF_PYTHON=$(CURDIR)/.venv/bin/python \
		$(CARGO) test -j$(JOBS) -p onvif-rtsp-conformance $(BLACKBOX_TESTS)

## Formatting and lints, as CI reviewers expect them.
check:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -j$(JOBS) --workspace --all-targets -- -D warnings
