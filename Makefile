# Guanxi: `make run` serves the app on http://127.0.0.1:8000 (PORT overrides the port);
# `make test` runs the whole suite. Both create .venv and install the pinned requirements,
# again only when a requirements file changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
RUNTIME_STAMP := $(VENV)/.requirements.stamp
DEV_STAMP := $(VENV)/.requirements-dev.stamp
# Run the suite on every CPU; PYTEST_ARGS="-n 0" runs it serially, or picks tests ("-k name").
PYTEST_ARGS ?= -n auto

.DEFAULT_GOAL := help
.PHONY: help run test lint fmt messages clean-venv

help:
	@echo "make run    install, migrate, create the first admin, load demo data, serve on :$${PORT:-8000}"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make fmt    format the code and apply ruff's safe fixes"
	@echo "make messages  update the catalogues in locale/ and compile them (needs gettext)"

$(BIN)/pip:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(BIN)/pip
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt requirements-test-data.txt | $(BIN)/pip
	$(PIP) install --quiet -r requirements-dev.txt
	$(PIP) install --quiet --no-deps -r requirements-test-data.txt
	@touch $@ $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP)
	scripts/run.sh

test: $(DEV_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Translations (README.md, "Translations"): collect every translatable string into the
# catalogues (locale/ for the project, guanxi/<app>/locale/ for an app that has its own), give the
# English catalogues the source text, compile them all. Needs gettext's tools.
# `make messages APP=tickets` updates only that app's catalogue.
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=benchmarks --ignore=node_modules
MESSAGES_DIR := $(if $(APP),guanxi/$(APP),.)
messages: $(RUNTIME_STAMP)
	@if [ -n "$(APP)" ]; then mkdir -p guanxi/$(APP)/locale; fi
	cd $(MESSAGES_DIR) && $(CURDIR)/$(BIN)/python $(CURDIR)/manage.py makemessages -l zh_Hans -l en $(MESSAGES_IGNORE)
	$(BIN)/python scripts/po_headers.py $$(find $(MESSAGES_DIR) -path ./.venv -prune -o -path '*/locale/*/LC_MESSAGES/django.po' -print)
	for po in $$(find $(MESSAGES_DIR) -path ./.venv -prune -o -path '*/locale/en/LC_MESSAGES/django.po' -print); do \
		msgattrib --clear-fuzzy --empty --clear-previous -o $$po $$po && msgen -o $$po $$po || exit 1; \
	done
	cd $(MESSAGES_DIR) && $(CURDIR)/$(BIN)/python $(CURDIR)/manage.py compilemessages $(MESSAGES_IGNORE)

clean-venv:
	rm -rf $(VENV)
