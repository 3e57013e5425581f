# Courtyard — two commands: `make run` (demo city on SQLite) and `make test` (the whole suite).
SHELL := /bin/bash
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
PYTHON ?= $(shell scripts/find-python)
# Throwaway PostgreSQL for the second run of the suite; pytest-django adds the test_ prefix.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/courtyard_ci
PYTEST_WORKERS ?= auto
MAKEMESSAGES = $(BIN)/courtyard makemessages -l zh_Hans -l en --no-obsolete --no-location --no-wrap \
	--ignore='.venv*' --ignore='bench/*' --ignore='var/*' --ignore='*/tests/*' --ignore='tests/*'
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install install-dev run test lint typecheck checks test-sqlite test-postgres system-deps lock messages clean

help:
	@echo "make run    - install, migrate, load the demo city, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   - install test tools and run lint, types, migrations check and the suite on SQLite and PostgreSQL"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/courtyard migrate --noinput
	$(BIN)/courtyard demo
	$(BIN)/courtyard runserver 127.0.0.1:$(PORT)

# Debian packages the browser tests need: Chromium and a CJK font (never `playwright install`).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then \
		echo "Installing chromium and fonts-wqy-microhei from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy config courtyard

# Catalog check: extract the strings afresh (in place, restored afterwards) so that a string
# added to the code without `make messages` fails, then require every zh_Hans entry translated.
checks: install-dev
	$(BIN)/courtyard makemigrations --check --dry-run
	@rm -rf $(VENV)/locale-saved && cp -r locale $(VENV)/locale-saved && \
		trap 'rm -rf locale && mv $(VENV)/locale-saved locale' EXIT && \
		$(MAKEMESSAGES) >/dev/null && $(BIN)/python scripts/check-translations

# Browser tests run on their own, after the rest: their live server's threads then never
# share a worker with other tests.
test-sqlite: install-dev system-deps
	DATABASE_URL=sqlite:///:memory: $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not browser"
	DATABASE_URL=sqlite:///:memory: $(BIN)/pytest -q -m browser

test-postgres: install-dev
	@scripts/ensure-postgres "$(TEST_POSTGRES_URL)"
	DATABASE_URL="$(TEST_POSTGRES_URL)" $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not browser"

test: lint typecheck checks test-sqlite test-postgres

# Regenerate the constraints (lock) file from a fresh resolve of pyproject.toml.
lock: $(BIN)/python
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install -q -U pip
	.venv-lock/bin/pip install -q -e '.[dev]'
	.venv-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .venv-lock

# Refresh the catalogs in locale/ from the code and templates, then compile them.
messages: install-dev
	$(MAKEMESSAGES)
	$(BIN)/courtyard compilemessages --ignore='.venv*'

clean:
	rm -rf $(VENV) var/*.sqlite3*
