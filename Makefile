# make run  — install everything, migrate, seed the demo, serve http://127.0.0.1:$(PORT)
# make test — install what the tests need (Chromium included) and run them all
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

.PHONY: run test lint translations system-packages test-system-packages clean

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

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

portal/translations/%/LC_MESSAGES/messages.mo: portal/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# After changing texts: extract them and merge into the catalogs, then translate the .po.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations

run: export INSTANCE_PATH := $(INSTANCE_PATH)
run: system-packages $(VENV)/.installed $(CATALOGS)
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	@echo
	@echo "Portal:  http://127.0.0.1:$(PORT)/   (Ctrl-C stops the web server, the workers and Redis)"
	@echo "Redis:   $${REDIS_URL:-embedded, socket $(INSTANCE_PATH)/redis.sock}"
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

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
