# Two commands for a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Make's own steps run in development mode; production sets DEBUG=false and SECRET_KEY (see README).
export DEBUG ?= true

.PHONY: install run test lint migrate seed worker server benchmarks mutation clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# A development .env, written once and never overwritten, so `.venv/bin/python manage.py ...` works by hand.
.env:
	@umask 077 && printf 'DEBUG=true\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote .env for development: DEBUG=true and a generated SECRET_KEY."

migrate: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

# Each loader is idempotent and keeps edits made since seeding, so `make run` can seed on every start.
seed: migrate
	$(BIN)/python manage.py setup_schedules
	$(BIN)/python manage.py seed --demo
	$(BIN)/python manage.py load_models

run: seed
	@echo
	@echo "  CarDoc AI is starting at http://$(HOST):$(PORT)/"
	@echo "    admin console:  http://$(HOST):$(PORT)/admin/"
	@echo "    API docs:       http://$(HOST):$(PORT)/api/docs/"
	@echo "  Create a staff user in another terminal with:"
	@echo "    $(BIN)/python manage.py createsuperuser"
	@echo "  Ctrl-C stops the web server and the worker."
	@echo
	@# When either process ends, or on Ctrl-C, stop the other once (the trap disarms itself first).
	@trap 'trap - INT TERM EXIT; kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	  $(BIN)/python manage.py qcluster & \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload & \
	  wait -n

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	$(BIN)/python -m pytest --create-db

# Mutation testing of the security-critical code (issue 14): slow, so never part of `make test`. mutmut works in
# mutants/ (a copy of the apps); .ci/mutation.py chooses the functions the issue names and prints the score.
# MUTATION_JOBS sets how many mutants run at once.
MUTATION_JOBS ?= 1
mutation: install
	rm -rf mutants
	env -u DATABASE_URL DEBUG=true nice -n 15 $(BIN)/python .ci/mutation.py --jobs $(MUTATION_JOBS)

benchmarks: seed
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf var/ .pytest_cache .ruff_cache mutants/
