# hunt: build, run and test the Redis module.
#   make run    installs what is missing, builds, starts Redis with the module and the Rome map
#   make test   every test (unit, property, integration against a real redis-server)

PORT ?= 6379
CARGO ?= cargo
APT_PACKAGES = redis-server redis-tools libclang1-14 libclang-common-14-dev

.PHONY: run test build deps bench clean fmt

deps:
	@scripts/install-deps $(APT_PACKAGES)

build: deps
	$(CARGO) build --release --workspace

run: build
	@PORT=$(PORT) scripts/run

test: build
	$(CARGO) test --release --workspace --tests --benches

bench: build
	$(CARGO) bench --bench search

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
