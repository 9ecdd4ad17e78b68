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

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/pip
	$(PIP) install --quiet -r requirements-dev.txt
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

# Translations (README.md, "Translations"): collect every translatable string into locale/,
# give the English catalogue the source text, compile both. Needs gettext's tools.
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=benchmarks --ignore=node_modules
EN_PO := locale/en/LC_MESSAGES/django.po
messages: $(RUNTIME_STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans -l en $(MESSAGES_IGNORE)
	msgattrib --clear-fuzzy --empty --clear-previous -o $(EN_PO) $(EN_PO)
	msgen -o $(EN_PO) $(EN_PO)
	$(BIN)/python manage.py compilemessages $(MESSAGES_IGNORE)

clean-venv:
	rm -rf $(VENV)
