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

.PHONY: setup run test test-sqlite test-pg bench messages clean

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

run: setup
	$(DUBAN) collectstatic --noinput -v0
	$(DUBAN) migrate --noinput -v0
	$(DUBAN) demo --if-empty
	$(DUBAN) serve --host $(HOST) --port $(PORT)

test: test-sqlite test-pg

test-sqlite: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: setup
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m duban.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles var
