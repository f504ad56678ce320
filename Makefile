# The two commands: `make run` (set up and serve the demo clinic) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# Development defaults for `make run`: DEBUG on, demo logins shown, the demo's two-factor
# requirement off. Anything already set in the environment wins.
RUN_ENV := DEBUG=$${DEBUG:-1} CLINIC_SHOW_DEMO_LOGINS=$${CLINIC_SHOW_DEMO_LOGINS:-1} \
	CLINIC_2FA_REQUIRED_ROLES=$${CLINIC_2FA_REQUIRED_ROLES-}

.PHONY: install run test lint format check-deploy clean bench bench-data bench-day bench-sizes

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	@echo "Serving on http://127.0.0.1:8000 with a Celery worker and beat. Ctrl-C stops all of it."
	$(RUN_ENV) $(VENV)/bin/honcho --procfile Procfile.dev start

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(VENV)/bin/pytest

# The suite with the clock a year ahead (docs/testing.md): a test that depends on today's date
# fails here, not on the day CI reaches that date. Debian's libfaketime moves the clock.
.PHONY: test-clock-ahead
test-clock-ahead: lint
	@command -v faketime >/dev/null || { echo "Installing Debian's faketime"; \
		apt-get install -y -qq faketime >/dev/null; }
	FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f +365d $(VENV)/bin/pytest

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The example's other values, with a fresh key: its placeholder SECRET_KEY fails the check
# (clinic.E001), and a variable set in the environment wins over the file's.
check-deploy: install
	SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(64))") \
	ENV_FILE=.env.example $(PY) manage.py check --deploy --fail-level WARNING

# Benchmarks (bench/README.md): gunicorn on PostgreSQL (BENCH_DATABASE_URL), not part of `test`.
bench-data: install
	$(PY) -m bench.run data

bench: install
	@command -v wrk >/dev/null || { echo "Installing Debian's wrk (the load generator)"; \
		apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m bench.run

# The clinic day alone: the busiest hour of BENCH_CLINICS clinics under locust.
bench-day: install
	$(PY) -m bench.run day

# Each page at 1,000 and at 100,000 patients, turn about (BENCH_SMALL_DATABASE_URL).
bench-sizes: install
	@command -v wrk >/dev/null || { echo "Installing Debian's wrk (the load generator)"; \
		apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m bench.run sizes

clean:
	rm -rf $(VENV) .celery .cache staticfiles .pytest_cache .ruff_cache
