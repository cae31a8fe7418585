# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app eventreg
# The PostgreSQL leg of the suite; this machine kind serves it with trust auth.
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres install install-test browser lint format bench clean

run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --port $(PORT)

test: install-test browser lint test-sqlite test-postgres

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[postgres,server]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[postgres,server,test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for Playwright (it cannot download its own browsers here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      || echo "warning: could not install chromium; browser tests will not run"; \
	  else echo "warning: chromium missing and not root; browser tests will not run"; fi; }

lint:
	$(BIN)/ruff check eventreg tests bench wsgi.py
	$(BIN)/ruff format --check eventreg tests bench wsgi.py

format:
	$(BIN)/ruff format eventreg tests bench wsgi.py
	$(BIN)/ruff check --fix eventreg tests bench wsgi.py

test-sqlite:
	@echo "== test suite on SQLite =="
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Runs when PostgreSQL answers; with EVENTREG_REQUIRE_POSTGRES=1 (CI) a missing server fails.
test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== test suite on PostgreSQL =="; \
	  EVENTREG_TEST_DATABASE_URL='$(PG_TEST_URL)' $(BIN)/python -m pytest $(PYTEST_ARGS); \
	elif [ -n "$$EVENTREG_REQUIRE_POSTGRES" ]; then \
	  echo "PostgreSQL at $(PG_TEST_URL) is required but does not answer" >&2; exit 1; \
	else echo "PostgreSQL not reachable at $(PG_TEST_URL): its leg is left out"; fi

bench: install-test
	$(BIN)/python bench/schedule_pages.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
