# Preflight: the two commands are `make run` and `make test`; each does all of its own set-up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
export PREFLIGHT_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test test-only lint revision setup setup-dev translations migrate demo i18n-extract i18n-update i18n-status i18n-check tutorial-videos bench load-test load-test-quick clean

## run: set up, migrate the SQLite database, load demo data, start the server (and the alert worker)
run: setup translations migrate
	@HOST=$(HOST) PORT=$(PORT) FLASK="$(FLASK)" BIN=$(BIN) scripts/run-local

## test: set up with dev dependencies, then the whole suite
test: setup-dev translations test-only

# Two workers: the browser, network and lab tests run one after another on one of them (tests/conftest.py,
# SERIAL_MARKERS), the rest on whichever is free. PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2
test-only:
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## lint: ruff over the code (rules and line length in pyproject.toml)
lint: setup-dev
	$(BIN)/ruff check .

## revision: a new Alembic revision from the models, e.g. make revision m="add survey table"
revision: setup-dev
	@test -n "$(m)" || { echo 'usage: make revision m="what changes"'; exit 2; }
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	  url="sqlite:///$$scratch/revision.sqlite3" && \
	  $(BIN)/alembic -c migrations/alembic.ini -x url="$$url" upgrade head && \
	  $(BIN)/alembic -c migrations/alembic.ini -x url="$$url" revision --autogenerate -m "$(m)" && \
	  heads=$$($(BIN)/alembic -c migrations/alembic.ini heads | wc -l) && \
	  if [ "$$heads" -ne 1 ]; then echo "more than one head: merge the branches first"; exit 1; fi

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	@touch $@ $(VENV)/.installed

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

## translations: compile the message catalogs (.mo files are built, never committed)
translations:
	@if $(FLASK) i18n --help >/dev/null 2>&1; then $(FLASK) i18n compile; \
	elif ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then $(BIN)/pybabel compile -q -d translations -f; fi

migrate:
	$(FLASK) migrate

demo:
	$(FLASK) demo

i18n-extract:
	$(FLASK) i18n extract
i18n-update:
	$(FLASK) i18n update
i18n-status:
	$(FLASK) i18n status
i18n-check:
	$(FLASK) i18n check

tutorial-videos: setup-dev translations
	$(BIN)/python scripts/make_tutorial_video.py

bench: setup-dev
	$(BIN)/python bench/page_weight.py

## load-test: 1,000 participants over 10 minutes against gunicorn + PostgreSQL on loopback (bench/load/run.py)
load-test: setup-dev translations
	$(BIN)/python bench/load/run.py $(LOAD_ARGS)

load-test-quick: setup-dev translations
	$(BIN)/python bench/load/run.py --quick $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
