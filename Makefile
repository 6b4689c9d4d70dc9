# hunt: build, run and test the Redis module.
#   make run    installs what is missing, builds, starts Redis with the module and the Rome map
#   make test   every test (unit, property, integration against a real redis-server)

PORT ?= 6379
CARGO ?= cargo
APT_PACKAGES = redis-server redis-tools libclang1-14 libclang-common-14-dev

.PHONY: run test build deps bench clean fmt test-python

deps:
	@scripts/install-deps $(APT_PACKAGES)

build: deps
	$(CARGO) build --release --workspace

run: build
	@PORT=$(PORT) scripts/run

test: build test-python
	$(CARGO) test --release --workspace --tests --benches

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

bench: build
	$(CARGO) bench --bench search

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
