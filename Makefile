# ClickNBack: `make run` starts the whole system, `make test` runs every check.
# Only Python >= 3.11 and make are needed: PostgreSQL and Redis are embedded (pip
# packages) unless DATABASE_URL / REDIS_URL point at real servers.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
RUN_STAMP := $(VENV)/.run-requirements
DEV_STAMP := $(VENV)/.dev-requirements
PYTEST_ARGS ?=

.PHONY: run test lint format bench stop services clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt requirements-local.txt | $(PY)
	$(PIP) install --quiet -r requirements-local.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-local.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(PY) -m clicknback.devservices --stop-after -- $(PY) scripts/run_stack.py

test: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	CLICKNBACK_DATA_DIR=$${CLICKNBACK_DATA_DIR:-.data/test} DJANGO_ENV=test \
	  $(PY) -m clicknback.devservices --stop-after --tune-for-tests -- \
	  sh -c '$(PY) manage.py makemigrations --check --dry-run && \
	         $(PY) -m pytest --cov --cov-report=term:skip-covered --cov-fail-under=85 $(PYTEST_ARGS)'

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(DEV_STAMP)
	$(PY) -m clicknback.devservices --stop-after -- $(PY) -m bench

stop:
	$(PY) -m clicknback.devservices --stop
	CLICKNBACK_DATA_DIR=.data/test $(PY) -m clicknback.devservices --stop

clean: stop
	rm -rf .data staticfiles
