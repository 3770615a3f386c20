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
# pip shows its progress (a first install takes minutes), without its advice about
# running as root or about newer versions of pip.
export PIP_ROOT_USER_ACTION := ignore
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run logs test lint format typecheck bench stop services clean security test-deep \
        compose-test compose-backup compose-restore

# The stamp files make a re-run with unchanged requirements skip pip altogether.
$(PY):
	@echo "==> creating the virtualenv $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip

$(RUN_STAMP): requirements.txt requirements-local.txt | $(PY)
	@echo "==> installing dependencies into $(VENV) (a few minutes the first time)"
	@$(PIP) install -r requirements-local.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-local.txt requirements-dev.txt | $(PY)
	@echo "==> installing dependencies and test tools into $(VENV) (a few minutes the first time)"
	@$(PIP) install -r requirements-dev.txt
	@touch $@ $(RUN_STAMP)

# One line per step, then the banner; every process logs to .data/logs/ (see scripts/run_stack.py).
run: $(RUN_STAMP)
	@$(PY) scripts/run_stack.py

# Follows the log files of `make run` (tail -F) until Ctrl-C.
logs:
	@if [ -x $(PY) ]; then $(PY) scripts/run_stack.py --logs; else echo "No logs yet: \`make run\` writes them."; fi

test: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(MAKE) --no-print-directory typecheck
	$(MAKE) --no-print-directory security
	CLICKNBACK_DATA_DIR=$${CLICKNBACK_DATA_DIR:-.data/test} DJANGO_ENV=test \
	  $(PY) -m clicknback.devservices --stop-after --tune-for-tests -- \
	  sh -c '$(PY) manage.py makemigrations --check --dry-run && \
	         $(PY) -m pytest --cov --cov-report=term:skip-covered --cov-fail-under=85 $(PYTEST_ARGS)'

# mypy on the application code with the Django and DRF plugins, part of `make test` (the
# packages and options are in pyproject.toml). The plugins import the settings but open no
# connection; DJANGO_ENV=test keeps a shell's production profile from asking for secrets.
typecheck: $(DEV_STAMP)
	DJANGO_ENV=test $(VENV)/bin/mypy

# Static security checks, part of `make test`: bandit (medium and high severity) on the
# application code, and pip-audit on every installed package (see docs/testing-under-attack.md
# for what happens on a machine that cannot reach the vulnerability service).
SECURITY_PATHS := clicknback users merchants offers purchases wallets payouts partners events statements portal backoffice demo
security: $(DEV_STAMP)
	$(VENV)/bin/bandit -r $(SECURITY_PATHS) -ll -x '*/tests/*,*/migrations/*' -q
	$(PY) -m tests.security.pip_audit_gate

# Larger fuzzing and state-machine runs (minutes, not seconds); sizes can be overridden.
FUZZ_EXAMPLES ?= 60
SM_EXAMPLES ?= 200
SM_STEPS ?= 60
test-deep: $(DEV_STAMP)
	CLICKNBACK_DATA_DIR=$${CLICKNBACK_DATA_DIR:-.data/test} DJANGO_ENV=test \
	  FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) SM_EXAMPLES=$(SM_EXAMPLES) SM_STEPS=$(SM_STEPS) \
	  $(PY) -m clicknback.devservices --stop-after --tune-for-tests -- \
	  $(PY) -m pytest tests/fuzz tests/statemachine $(PYTEST_ARGS)

# The Dockerfile and docker-compose.yml for real (docs/docker.md): root on Debian; installs
# the engine when missing, builds stand-in base images where no registry is reachable,
# checks the running stack and removes everything it made. Standard library only.
compose-test:
	@$(PYTHON) scripts/compose_test.py

# Backups of a compose deployment: pg_dump / pg_restore in the postgres container.
BACKUP_DIR ?= backups
compose-backup:
	@scripts/compose_backup.sh backup $(BACKUP_DIR)
compose-restore:
	@test -n "$(BACKUP)" || { echo "usage: make compose-restore BACKUP=backups/clicknback-<time>.dump"; exit 2; }
	@scripts/compose_backup.sh restore $(BACKUP)

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
