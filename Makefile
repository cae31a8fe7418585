# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app eventreg
TRANSLATIONS := eventreg/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
# The PostgreSQL leg of the suite; this machine kind serves it with trust auth.
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres install install-test browser lint format bench clean messages

# Mail is delivered as .eml files into instance/outbox/ and listed at /_dev/mail/.
run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	EVENTREG_DEV_MAIL_PAGE=1 $(FLASK) run --port $(PORT)

test: install-test browser lint test-sqlite test-postgres

install: $(VENV)/.installed $(MO_FILES)
install-test: $(VENV)/.installed-test node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[postgres,server]'
	$(BIN)/pybabel -q compile -d eventreg/translations
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

# Benchmarks print figures next to a floor measured in the same run. The rush needs
# PostgreSQL; it empties the tables of the database it is given.
BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
bench: install-test
	$(BIN)/python bench/schedule_pages.py
	$(BIN)/python bench/ical_feed.py
	$(BIN)/python bench/mail_delivery.py
	$(BIN)/python bench/registration_rush.py $(BENCH_PG_URL)

# Translations: extract every marked string into the template, then merge it into each
# language's catalogue (new strings arrive untranslated; tests/test_translations.py fails
# until they are translated). Compiled .mo files are made by `make install` and the tests.
# A catalogue edited after installing is compiled again by `make install` (and `make run`).
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k ngettext:1,2 \
	  --sort-by-file --no-wrap --project eventreg --copyright-holder "eventreg contributors" \
	  -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update --no-wrap --ignore-obsolete --no-fuzzy-matching \
	  -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
