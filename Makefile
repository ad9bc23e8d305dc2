# Retorno: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when the dependency list changes.
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
PYTEST_ARGS ?=
# One test process per core, tests handed out one by one in pytest-django's order (each process
# runs its transactional tests, which empty the database, after the others; by file they did not).
# TEST_PROCESSES=0 runs the suite in this process (a debugger, -x on the first failure).
TEST_PROCESSES ?= auto
PYTEST_XDIST := $(if $(filter 0,$(TEST_PROCESSES)),,-n $(TEST_PROCESSES) --dist load)
DEMO_ADDR ?= 127.0.0.1:8000
LOCALE_IGNORE := --ignore=.venv --ignore=staticfiles --ignore=media --ignore=build
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_DB ?= retorno_bench
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(BENCH_DB)
BENCH_ARGS ?=
BENCH_SUITE_DB ?= retorno_bench_suite
# `make test-clock`: the UTC instant the fake clock starts at (it ticks on from there). 06:30 UTC
# is 00:30 at every centre (UTC-6): a new day, month, quarter and fiscal year (FY2027).
CLOCK_AT ?= 2026-10-01 06:30:00
FAKETIME ?= faketime
LOADTEST_TIME ?= 60
LOADTEST_USERS ?= 50
# mixed: every caseworker does the day's mix; flight: 20 of them register a 135-passenger flight.
LOADTEST_PROFILE ?= mixed
# The whole run this many times, then the median of each figure (runs move by up to a quarter).
LOADTEST_REPEAT ?= 1
# The throttle's shared cache on Redis, as in production (docker-compose.yml): the floor's SQL is
# captured with it too.
LOADTEST_CACHE ?= redis://127.0.0.1:6379/13

.PHONY: help install demo test test-clock lint typecheck contracts format messages \
	compile-messages bench-intake bench-caselist bench-services synthetic bench loadtest \
	check-deploy clean

help:
	@echo "make demo          create .venv, install, migrate, load demo data, serve on http://$(DEMO_ADDR)/"
	@echo "make test          install if needed, run the whole test suite (pytest, a process per core;"
	@echo "                   TEST_PROCESSES=0 for one process)"
	@echo "make test-clock    the whole suite under libfaketime, at 00:30 at the centres on the 1st of a"
	@echo "                   month (CLOCK_AT=\"$(CLOCK_AT)\", UTC); skipped without faketime"
	@echo "make lint          ruff check + ruff format --check"
	@echo "make typecheck     mypy, strict on every app's actions, selectors and permissions"
	@echo "make contracts     import-linter: the apps' layers (registry <- intake <- casework <- services <- reporting)"
	@echo "make format        ruff format + ruff check --fix"
	@echo "make messages      extract translatable strings into locale/{es,en} and compile the .mo files"
	@echo "make bench-intake  matching and registration benchmark on PostgreSQL ($(BENCH_DB))"
	@echo "make bench-caselist  a caseworker's case list with 200,000 cases on PostgreSQL"
	@echo "make bench-services  bulk distribution and a person's uptake on PostgreSQL"
	@echo "make synthetic     national-scale synthetic data in PostgreSQL (retorno_synthetic)"
	@echo "make bench         every benchmark on one synthetic dataset, one table ($(BENCH_SUITE_DB));"
	@echo "                   BENCH_ARGS=\"--size small|default|large\" for 10k/100k/1M persons"
	@echo "make loadtest      gunicorn + locust, $(LOADTEST_USERS) caseworkers for $(LOADTEST_TIME) s, then the same"
	@echo "                   load on the floor (the requests' SQL replayed by a bare view);"
	@echo "                   LOADTEST_PROFILE=flight: 20 of them register a 135-passenger flight"
	@echo "make check-deploy  manage.py check --deploy with production settings and dummy secrets"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "Retorno needs Python 3.11 or newer; run: make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(STAMP)

demo: install
	$(MANAGE) migrate --noinput
	@echo
	@echo "== Demo data and logins =="
	$(MANAGE) seed_demo
	$(MANAGE) summary_rebuild
	$(MANAGE) release_close
	@echo
	@echo "== Serving Retorno on http://$(DEMO_ADDR)/ (Ctrl-C to stop) =="
	$(MANAGE) runserver $(DEMO_ADDR)

# Test files that must run in one process (see conftest.py): after the others, when those ran in several.
SINGLE_PROCESS_TESTS := tests/test_api_fuzz.py

test: install
	$(BIN)/pytest $(PYTEST_XDIST) $(PYTEST_ARGS)
ifneq ($(PYTEST_XDIST),)
	$(BIN)/pytest -p no:xdist $(PYTEST_ARGS) $(SINGLE_PROCESS_TESTS) || test $$? -eq 5
endif

# The whole suite with the process clock set by libfaketime (Debian package `faketime`), not by
# the tests: whatever reads "today" or "this month" without the frozen_clock fixture shows here.
# Chromium inherits the fake clock too. Not part of `make test`.
test-clock: install
	@if ! command -v $(FAKETIME) >/dev/null; then \
		echo "make test-clock: skipped, $(FAKETIME) is not installed (Debian/Ubuntu: apt-get install faketime)" >&2; \
	else \
		echo 'TZ=UTC $(FAKETIME) -f "@$(CLOCK_AT)" $(BIN)/pytest $(PYTEST_ARGS)'; \
		TZ=UTC $(FAKETIME) -f "@$(CLOCK_AT)" $(BIN)/pytest $(PYTEST_ARGS); \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Locations are left out of the catalogues so that moving code does not churn the .po files.
messages: install
	$(MANAGE) makemessages -l es -l en --no-location $(LOCALE_IGNORE)
	$(MANAGE) compilemessages -l es -l en $(LOCALE_IGNORE)

compile-messages: install
	$(MANAGE) compilemessages -l es -l en $(LOCALE_IGNORE)

# Benchmarks and synthetic data run on a PostgreSQL database of their own (created if missing),
# never inside `make test`. BENCH_ARGS are passed to the command, e.g. BENCH_ARGS="--persons 10000".
define bench_on_postgres
	@$(BIN)/python -c 'import sys, psycopg; from psycopg import sql; \
	conn = psycopg.connect(sys.argv[1], autocommit=True); \
	found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [sys.argv[2]]).fetchone(); \
	found or conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(sys.argv[2]))); \
	print("database", sys.argv[2], "already exists" if found else "created")' "$(PG_ADMIN_URL)" "$(1)"
	DATABASE_URL="postgres://postgres@127.0.0.1:5432/$(1)" $(MANAGE) migrate --noinput -v 0
	DJANGO_DEBUG=false DATABASE_URL="postgres://postgres@127.0.0.1:5432/$(1)" $(MANAGE) $(2) $(BENCH_ARGS)
endef

bench-intake: install
	$(call bench_on_postgres,$(BENCH_DB),bench_intake)

bench-caselist: install
	$(call bench_on_postgres,retorno_bench_caselist,bench_caselist)

bench-services: install
	$(call bench_on_postgres,retorno_bench_services,bench_services)

# A million persons (~1.3 million arrivals, ~4 million deliveries) in a few minutes; BENCH_ARGS
# come after and win, e.g. BENCH_ARGS="--persons 100000 --fresh".
synthetic: install
	$(call bench_on_postgres,retorno_synthetic,generate_synthetic --persons 1000000)

# One line, no traceback, when PostgreSQL cannot be reached.
define postgres_reachable
	@$(BIN)/python -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=5).close()' \
		"$(PG_ADMIN_URL)" 2>/dev/null || { echo "make $(1): PostgreSQL is not reachable at $(PG_ADMIN_URL) (start it, or set PG_ADMIN_URL)" >&2; exit 1; }
endef

bench: install
	$(call postgres_reachable,bench)
	$(call bench_on_postgres,$(BENCH_SUITE_DB),bench)

loadtest: export CACHE_URL = $(LOADTEST_CACHE)
loadtest: install
	$(call postgres_reachable,loadtest)
	@mkdir -p loadtest/.run
	$(call bench_on_postgres,$(BENCH_SUITE_DB),bench --loadtest-prepare loadtest/.run/targets.json --loadtest-users $(LOADTEST_USERS))
	DJANGO_DEBUG=false DATABASE_URL="postgres://postgres@127.0.0.1:5432/$(BENCH_SUITE_DB)" \
		LOADTEST_PROFILE=$(LOADTEST_PROFILE) LOADTEST_REPEAT=$(LOADTEST_REPEAT) \
		LOADTEST_TIME=$(LOADTEST_TIME) LOADTEST_USERS=$(LOADTEST_USERS) $(BIN)/python loadtest/run.py

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production \
	DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	DJANGO_ALLOWED_HOSTS=retorno.example.org \
		$(MANAGE) check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
