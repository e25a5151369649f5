# make run  — install everything, migrate, seed the demo, serve http://127.0.0.1:$(PORT)
# make test — install what the tests need (Chromium included) and run them all
# make audit — check the locked dependencies for known vulnerabilities (pip-audit)
# make lock  — re-pin requirements/*.txt after changing pyproject.toml (LOCK_FLAGS=--upgrade)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
RQ_WORKERS ?= 2
# Where SQLite, the embedded Redis, the outbox and payout files live (the settings read it too).
INSTANCE_PATH ?= $(CURDIR)/instance
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# WeasyPrint renders with Pango; the browser tests drive Debian's Chromium.
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_PACKAGES := chromium

CATALOGS := $(patsubst %.po,%.mo,$(wildcard portal/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test lint audit lock translations system-packages test-system-packages clean

define ensure_packages
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

system-packages:
	$(call ensure_packages,$(RUN_PACKAGES))

test-system-packages: system-packages
	$(call ensure_packages,$(TEST_PACKAGES))

# Everything installed comes from the lockfiles in requirements/ (exact versions, with
# hashes; `make lock` writes them from pyproject.toml), so every checkout installs the same
# set. The project itself goes in on top with --no-deps; its build backend is locked too.
RUN_LOCK := requirements/run.txt
TEST_LOCK := requirements/test.txt
TOOLS_LOCK := requirements/tools.txt
PIP_INSTALL_LOCKED := $(BIN)/pip install --quiet --require-hashes -r

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(RUN_LOCK) pyproject.toml | $(BIN)/python
	$(PIP_INSTALL_LOCKED) $(RUN_LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(TEST_LOCK) $(VENV)/.installed
	$(PIP_INSTALL_LOCKED) $(TEST_LOCK)
	touch $@

$(VENV)/.installed-tools: $(TOOLS_LOCK) $(VENV)/.installed
	$(PIP_INSTALL_LOCKED) $(TOOLS_LOCK)
	touch $@

portal/translations/%/LC_MESSAGES/messages.mo: portal/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# After changing texts: extract them and merge into the catalogs, then translate the .po.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k problem -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations

run: export INSTANCE_PATH := $(INSTANCE_PATH)
# The links in e-mails point at this server, on whatever PORT it listens (a PUBLIC_URL set
# in the environment still wins): the demo's offer is one click from its e-mail.
run: export PUBLIC_URL ?= http://127.0.0.1:$(PORT)
run: system-packages $(VENV)/.installed $(CATALOGS)
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	@echo
	@echo "Portal:   http://127.0.0.1:$(PORT)/   (Ctrl-C stops the web server, the workers and Redis)"
	@echo "Staff:    http://127.0.0.1:$(PORT)/clerk/login   Manager's report: http://127.0.0.1:$(PORT)/reports/"
	@echo "E-mail links: $$PUBLIC_URL   Access log: $(INSTANCE_PATH)/access.log"
	@echo "Redis:    $${REDIS_URL:-embedded, socket $(INSTANCE_PATH)/redis.sock}"
	@echo "Database: $${DATABASE_URL:-SQLite, $(INSTANCE_PATH)/effortless.sqlite3}"
	@if [ -z "$$REDIS_URL" ]; then \
	  export REDIS_URL="unix://$(INSTANCE_PATH)/redis.sock"; processes="redis web worker"; \
	else processes="web worker"; fi; \
	WEB_PORT=$(PORT) exec $(BIN)/honcho start -c worker=$(RQ_WORKERS) $$processes

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: test-system-packages $(VENV)/.installed-test $(CATALOGS) lint
	$(BIN)/pytest

# pip-audit over every lockfile. Says so plainly when no advisory source can be reached
# (exit 0); exits non-zero only when it finds a vulnerability (or pip-audit itself fails).
audit: $(VENV)/.installed-tools
	$(BIN)/python -m tools.audit_dependencies $(RUN_LOCK) $(TEST_LOCK) $(TOOLS_LOCK)

# Re-pin after changing the dependencies in pyproject.toml. Kept pins stay unless asked:
# LOCK_FLAGS=--upgrade raises everything, LOCK_FLAGS='--upgrade-package flask' one package.
# Universal: one lock for every platform and Python from 3.11 on (markers where they differ).
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' $(LOCK_FLAGS)
lock: $(VENV)/.installed-tools
	$(LOCK) pyproject.toml requirements/build.in -o $(RUN_LOCK)
	$(LOCK) pyproject.toml --extra test -c $(RUN_LOCK) -o $(TEST_LOCK)
	$(LOCK) requirements/tools.in -c $(TEST_LOCK) -o $(TOOLS_LOCK)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
