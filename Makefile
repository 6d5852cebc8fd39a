# Wippy for Swift: set-up, example, tests and benchmarks.
#
#   make example   install what is missing, build, run the bundled example app
#   make test      install what is missing, build, run the whole test suite (beside a throwaway PostgreSQL)
#   make bench     release build, then the benchmark workloads (name value unit lines)

SWIFT ?= swift
WIPPY_RELEASE = .build/release/wippy
WIPPY_DEBUG = .build/debug/wippy

.PHONY: deps build release example test bench bench-workflows bench-sql bench-http clean

# Debian packages the build and the tests need: Lua 5.4 headers/library, luac5.4 (used by tests), SQLite 3
# headers/library (registry history, through GRDB), jemalloc (the binary's allocator: Package.swift says
# why), PostgreSQL 15 (the workflow store's tests start a throwaway server: scripts/postgres-test-server.sh)
# and python3 (the script's free-port probe).
PG_BIN = /usr/lib/postgresql/15/bin
deps:
	@if ! pkg-config --exists lua5.4 2>/dev/null || ! command -v luac5.4 >/dev/null 2>&1 || ! pkg-config --exists sqlite3 2>/dev/null \
		|| ! pkg-config --exists jemalloc 2>/dev/null || [ ! -x $(PG_BIN)/initdb ] || ! command -v python3 >/dev/null 2>&1; then \
		echo "installing liblua5.4-dev lua5.4 libsqlite3-dev libjemalloc-dev postgresql-15 python3 (apt-get)"; \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && apt-get install -y -qq liblua5.4-dev lua5.4 libsqlite3-dev libjemalloc-dev postgresql-15 python3; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq liblua5.4-dev lua5.4 libsqlite3-dev libjemalloc-dev postgresql-15 python3; fi; \
	fi

build: deps
	$(SWIFT) build

# Release builds turn off dynamic exclusivity checks in the dependencies too (our own targets do so in
# Package.swift, which cannot reach a dependency's flags): in NIO and postgres-nio they were about 15 % of a
# PostgreSQL point select's client instructions (108k -> 92k, callgrind). Debug builds, which the tests use,
# keep every check.
RELEASE_FLAGS = -Xswiftc -enforce-exclusivity=unchecked
release: deps
	$(SWIFT) build -c release --product wippy $(RELEASE_FLAGS)

example: release
	cd examples/showcase && ../../$(WIPPY_RELEASE) run -x app:demo

# The suite runs beside a throwaway PostgreSQL server (WIPPY_TEST_POSTGRES_URL), stopped and deleted
# afterwards whatever the tests did. The build runs with a temporary directory of its own, deleted after it:
# the Swift driver leaves a `TemporaryDirectory.*` in TMPDIR for each compiler invocation. (Not the tests:
# socket paths under their temporary directories would get longer than a Unix socket address allows.)
test: deps
	@tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/wippy-build.XXXXXX") && trap 'rm -rf "$$tmp"' EXIT INT TERM \
		&& echo "$(SWIFT) build --build-tests" && TMPDIR=$$tmp $(SWIFT) build --build-tests
	sh scripts/postgres-test-server.sh run $(SWIFT) test --skip-build

bench: release
	@sh bench/run.sh $(WIPPY_RELEASE)
	@sh bench/run.sh $(WIPPY_RELEASE) workflows
	@sh bench/run.sh $(WIPPY_RELEASE) sql
	@sh bench/run.sh $(WIPPY_RELEASE) http

# The durable-workflow workloads alone, with the metric names of ../shared/bench/workflows:
#   WFBENCH_PROJECT='make -s bench-workflows' sh ../shared/bench/workflows/run.sh
bench-workflows: release
	@sh bench/run.sh $(WIPPY_RELEASE) workflows

# The SQL workloads alone (SQLite; PostgreSQL too when PGHOST is set), metric names of ../shared/bench/sql:
#   SQLBENCH_PROJECT='make -s bench-sql' bash ../shared/bench/sql/run.sh
bench-sql: release
	@sh bench/run.sh $(WIPPY_RELEASE) sql

# The HTTP workload alone (wrk against GET /hello), metric names of ../shared/bench/http.
bench-http: release
	@sh bench/run.sh $(WIPPY_RELEASE) http

clean:
	rm -rf .build
