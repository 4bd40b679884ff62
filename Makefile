# Zhengqian — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_HOUSEHOLDS ?= 300
DEMO_PROJECTS ?= 3
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: demo test test-postgres test-browser lint typecheck bench messages check-migrations clean-demo

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 ($(PYTHON)) is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Start the whole system with demo data on SQLite: web server and background worker.
demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --households $(DEMO_HOUSEHOLDS) --projects $(DEMO_PROJECTS) --if-empty
	$(PY) manage.py fail_interrupted_jobs
	@echo ""
	@echo "  Zhengqian is running at http://$(HOST):$(PORT)/  (demo accounts: see README.md)"
	@echo "  Ctrl-C stops the web server and the worker."
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	  $(PY) manage.py db_worker --interval 1 & \
	  $(PY) manage.py runserver $(HOST):$(PORT) --noreload

# The whole suite on SQLite; browser tests run when Chromium is installed (else skipped, said).
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile -q

# The browser tests are left to `make test-browser`, which CI runs on PostgreSQL as well.
test-postgres: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(PY) -m pytest -n 2 --dist loadfile -q -m "not browser"

test-browser: $(STAMP)
	ZQ_REQUIRE_BROWSER=1 $(PY) -m pytest -q -m browser

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy config zhengqian

check-migrations: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

messages:
	$(PY) manage.py compilemessages --ignore=.venv

bench: $(STAMP)
	$(PY) bench/run.py

clean-demo:
	rm -rf var/
