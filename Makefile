# duban — `make run` sets everything up on a fresh machine and serves on 127.0.0.1:8000 with the
# background worker; `make test` runs the whole suite on SQLite and on PostgreSQL.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DUBAN := $(BIN)/duban
HOST ?= 127.0.0.1
PORT ?= 8000
# The PostgreSQL the suite runs against a second time (pytest creates and drops test_duban).
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/duban
PYTEST_ARGS ?= -n 2 -p no:cacheprovider

.PHONY: setup run dev screens test test-sqlite test-pg lint-imports preflight bench bench-datacheck bench-http messages clean audit-deps drill

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

messages: $(BIN)/.installed
	cd src/duban && ../../$(DUBAN) compilemessages -v0 --ignore=.venv

setup: $(BIN)/.installed node_modules/.installed messages

# `make run` serves as a deployment does: DEBUG off (Chinese error pages, no URL listings),
# static files through whitenoise under gunicorn, plain http on loopback (DUBAN_ENV stays
# development, so no HTTPS redirect or secure-only cookies). `make dev`: DEBUG on, auto-reload.
run: setup
	$(DUBAN) collectstatic --noinput -v0
	$(DUBAN) migrate --noinput -v0
	$(DUBAN) demo --if-empty
	DUBAN_DEBUG=false $(DUBAN) serve --host $(HOST) --port $(PORT)

dev: setup
	$(DUBAN) migrate --noinput -v0
	$(DUBAN) demo --if-empty
	DUBAN_DEBUG=true $(DUBAN) runserver $(HOST):$(PORT)

# Screenshots of the main pages at 1366×768 and 390×844 into docs/screens/ (demo data, a live
# test server, headless Chromium).
screens: setup
	$(BIN)/python docs/screens/capture.py

# The suite needs Chromium (browser tests) and, for test-pg, a PostgreSQL server: .ci/preflight
# says what is missing and the command that installs it, before anything runs.
test: preflight test-sqlite test-pg

preflight: $(BIN)/.installed
	@bash .ci/preflight pg $(PG_TEST_URL) $(BIN)/python

# The layer order (docs/architecture.md): an upward import fails here, before pytest starts.
lint-imports: $(BIN)/.installed
	$(BIN)/lint-imports --no-cache

test-sqlite: setup lint-imports
	@bash .ci/preflight sqlite
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: setup
	@bash .ci/preflight pg $(PG_TEST_URL) $(BIN)/python
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m duban.bench $(BENCH_ARGS)

# 大数据监督: every datacheck rule over 10M payments x 1M roster x 100k deaths (no database; about a
# minute plus data generation), duban's time against DuckDB's own for the same SQL, and peak memory.
bench-datacheck: setup
	$(BIN)/python -m duban.datacheck.bench $(BENCH_DATACHECK_ARGS)

# duban over real HTTP as `duban serve` deploys it (DEBUG off, gthread + buffering worker), driven by
# wrk on loopback at 1 and 8 connections; the province data set on PostgreSQL (built or reused).
# BENCH_HTTP_ARGS: --with-redmine (the peer in ../shared/peers/redmine, interleaved), --sqlite (a
# city-sized set), --only list,detail, --seconds N (DUBAN_BENCH_HTTP_SECONDS). docs/bench-http.md.
bench-http: setup
	$(BIN)/python -m duban.bench.http $(BENCH_HTTP_ARGS)

# Known vulnerabilities in the Python and npm dependencies (IP-05). Exit 1: vulnerable; exit 3: an
# advisory source could not be reached, which is NOT a pass (docs/security.md, IP-05).
audit-deps: $(BIN)/.installed
	$(BIN)/python deploy/audit-deps.py

# Load and fault drills (security-criteria.md §4) on loopback: nginx, two app servers, two
# workers, a throw-away PostgreSQL cluster and Redis; prints each drill's figures and PASS/FAIL.
# Not part of `make test` (about 15 minutes); needs nginx, redis-server and PostgreSQL 15 binaries.
drill: setup
	$(BIN)/python deploy/drill/drill.py $(DRILL_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles var
