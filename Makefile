# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
# uv installs .venv from uv.lock; uv itself, pinned with its hashes in requirements/uv.txt,
# lives in a venv of its own so that syncing .venv never touches it.
TOOLS := .tools
UV := $(TOOLS)/bin/uv
FRAB_CONSUMER := $(TOOLS)/frab-consumer/.installed
PORT ?= 5000
FLASK := $(BIN)/flask --app eventreg
TRANSLATIONS := eventreg/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
# The PostgreSQL leg of the suite; this machine kind serves it with trust auth.
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
# The SQLite leg fails below this share of eventreg's lines run by the tests (measured: 96%).
COVERAGE_FLOOR ?= 93

# uv reads no pip configuration (a machine's extra indexes or constraints change nothing),
# must never download a Python build of its own, and trusts the system's certificates.
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON_DOWNLOADS := never
export UV_SYSTEM_CERTS := 1

.PHONY: run test test-fast test-sqlite test-postgres install install-test lock browser fonts lint \
	format bench clean messages

# Mail is delivered as .eml files into instance/outbox/ and listed at /_dev/mail/. The server
# loads wsgi.py, as gunicorn does: serving starts the mail sender, which first sends what the
# last run left in the outbox. FLASK_RUN_PORT is the port served and, with no BASE_URL
# configured, the port of every link the demo and the server write.
run: export FLASK_RUN_PORT = $(PORT)
run: install fonts
	$(FLASK) db upgrade
	$(FLASK) demo
	EVENTREG_DEV_MAIL_PAGE=1 $(BIN)/flask --app wsgi run

# The two legs run side by side: PostgreSQL's output follows SQLite's, and the run fails when
# either does. SQLite's leg (every test, the browser's too) spreads over two workers; PostgreSQL's
# leg runs every test but the browser's, one at a time, beside it.
test: install-test browser fonts lint
	@pg_log=$$(mktemp); \
	$(MAKE) --no-print-directory test-postgres > $$pg_log 2>&1 & pg_pid=$$!; \
	$(MAKE) --no-print-directory test-sqlite; sqlite_status=$$?; \
	wait $$pg_pid; pg_status=$$?; \
	cat $$pg_log; rm -f $$pg_log; \
	echo "SQLite leg: exit $$sqlite_status; PostgreSQL leg: exit $$pg_status"; \
	test $$sqlite_status = 0 && test $$pg_status = 0

# The inner loop: SQLite (a file per worker), no browser, the tests spread over every core
# (pytest-xdist); installs nothing unless uv.lock or pyproject.toml changed.
test-fast: install-test
	env -u EVENTREG_TEST_DATABASE_URL $(BIN)/python -m pytest -n auto -m "not browser" $(PYTEST_ARGS)

install: $(VENV)/.installed $(MO_FILES)
install-test: install node_modules/.installed $(FRAB_CONSUMER)

# One environment for running, testing and CI: every package at the version uv.lock pins,
# and nothing else (`--locked` also fails when pyproject.toml changed without `make lock`).
# Compiled ahead: where PYTHONDONTWRITEBYTECODE is set (as on these machines) nothing else
# would ever write the .pyc files, and each new Python process (the app, a worker, a test's
# subprocess) would compile every imported module again, which doubled its start-up here.
$(VENV)/.installed: uv.lock pyproject.toml $(UV)
	$(UV) sync --locked --all-extras --compile-bytecode --python $(PYTHON)
	touch $@

# The frab consumer the export is tested with (see requirements/frab-consumer.in).
$(FRAB_CONSUMER): requirements/frab-consumer.txt $(UV)
	test -x $(TOOLS)/frab-consumer/bin/python || $(PYTHON) -m venv $(TOOLS)/frab-consumer
	$(UV) pip install --quiet --compile-bytecode --require-hashes \
	  --python $(TOOLS)/frab-consumer/bin/python -r requirements/frab-consumer.txt
	touch $@

$(UV): requirements/uv.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --require-hashes -r requirements/uv.txt
	touch $@

# Deliberate upgrades: every package to the newest release pyproject.toml allows (or only
# PACKAGE=name), and uv itself within its pinned minor. Review the diff, then `make test`.
lock: $(UV)
	$(UV) lock $(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade)
	$(if $(PACKAGE),,$(UV) pip compile --quiet --upgrade --generate-hashes \
	  --custom-compile-command "make lock" requirements/uv.in -o requirements/uv.txt)
	$(UV) pip compile --quiet --upgrade --generate-hashes --python-version 3.11 \
	  --custom-compile-command "make lock" requirements/frab-consumer.in \
	  -o requirements/frab-consumer.txt

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

# Debian's Noto CJK fonts: name badges (PDF) print Chinese names with them.
fonts:
	@test -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk) \
	      || echo "warning: could not install fonts-noto-cjk; badges cannot print Chinese"; \
	  else echo "warning: fonts-noto-cjk missing and not root; badges cannot print Chinese"; fi; }

# Style (ruff), the package layers (import-linter) and types (mypy); all configured in
# pyproject.toml.
lint: install
	$(BIN)/ruff check eventreg tests bench wsgi.py
	$(BIN)/ruff format --check eventreg tests bench wsgi.py
	$(BIN)/lint-imports
	$(BIN)/mypy

format:
	$(BIN)/ruff format eventreg tests bench wsgi.py
	$(BIN)/ruff check --fix eventreg tests bench wsgi.py

# Coverage is measured on this leg (the same code runs on PostgreSQL) and printed at its end.
test-sqlite: install-test
	@echo "== test suite on SQLite =="
	$(BIN)/python -m pytest -n 2 --cov --cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

# Runs when PostgreSQL answers; with EVENTREG_REQUIRE_POSTGRES=1 (CI) a missing server fails.
# The browser tests run on SQLite's leg only: a page asks the same services whatever the
# database, and what each database does (locks, constraints, counts) is tested here without
# a browser.
test-postgres: install-test
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== test suite on PostgreSQL =="; \
	  EVENTREG_TEST_DATABASE_URL='$(PG_TEST_URL)' $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS); \
	elif [ -n "$$EVENTREG_REQUIRE_POSTGRES" ]; then \
	  echo "PostgreSQL at $(PG_TEST_URL) is required but does not answer" >&2; exit 1; \
	else echo "PostgreSQL not reachable at $(PG_TEST_URL): its leg is left out"; fi

# Benchmarks print figures next to a floor measured in the same run. The rush needs
# PostgreSQL; it empties the tables of the database it is given.
BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
bench: install-test
	$(BIN)/python bench/schedule_pages.py
	$(BIN)/python bench/ical_feed.py
	$(BIN)/python bench/frab_export.py
	$(BIN)/python bench/mail_delivery.py
	$(BIN)/python bench/registration_rush.py $(BENCH_PG_URL)
	@# The load test (Locust: browsing, feed polling, registrations at once) drops and creates
	@# every table of BENCH_PG_URL; options in LOAD_TEST_ARGS, e.g. "--seconds 60 --users 100".
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(BENCH_PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  $(BIN)/python bench/load_test.py $(BENCH_PG_URL) $(LOAD_TEST_ARGS); \
	else echo "PostgreSQL not reachable at $(BENCH_PG_URL): the load test (bench/load_test.py) is left out"; fi

# Translations: extract every marked string into the template, then merge it into each
# language's catalogue (new strings arrive untranslated; tests/test_translations.py fails
# until they are translated). Compiled .mo files are made by `make install` and the tests.
# A catalogue edited after installing is compiled again by `make install` (and `make run`).
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k N_ -k ngettext:1,2 \
	  --sort-by-file --no-wrap --project eventreg --copyright-holder "eventreg contributors" \
	  -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update --no-wrap --ignore-obsolete --no-fuzzy-matching \
	  -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

clean:
	rm -rf $(VENV) $(TOOLS) node_modules .pytest_cache .ruff_cache .mypy_cache \
	  .import_linter_cache .coverage
