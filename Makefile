SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-production lock lock-check run worker test lint format clean

# Pinned, hash-checked dependencies compiled from pyproject.toml by `make lock` (uv).
LOCK_PRODUCTION := requirements/production.txt
LOCK_DEVELOPMENT := requirements/development.txt
UV_COMPILE = $(UV) pip compile pyproject.toml --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" --quiet
UV ?= $(VENV)/bin/uv

# Development: the locked dev set, then the project itself (editable). The last step only adds
# what pyproject.toml gained since the lock was compiled (CI's lock-check refuses that state).
$(VENV)/.installed: pyproject.toml $(LOCK_DEVELOPMENT)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r $(LOCK_DEVELOPMENT)
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Production: a virtualenv with exactly the locked runtime set, no dev tools, the project not
# editable. `make install-production VENV=/srv/seedance/venv` (docs/deploy.md).
install-production:
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r $(LOCK_PRODUCTION)
	$(PY) -m pip install -q --no-deps .

# Recompile both lock files after changing dependencies in pyproject.toml. Versions already
# pinned stay unless pyproject.toml needs another one; `make lock UPGRADE=1` takes the newest.
lock: install
	$(UV_COMPILE) $(if $(UPGRADE),--upgrade) -o $(LOCK_PRODUCTION)
	$(UV_COMPILE) $(if $(UPGRADE),--upgrade) --extra dev -o $(LOCK_DEVELOPMENT)

# Fails when pyproject.toml and the lock files disagree (CI runs it first).
lock-check:
	@test -x $(UV) || { test -x $(PY) || python3 -m venv $(VENV); $(PY) -m pip install -q "$$(grep -m1 '^uv==' $(LOCK_DEVELOPMENT) | cut -d' ' -f1)"; }
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	cp $(LOCK_PRODUCTION) $$tmp/production.txt; cp $(LOCK_DEVELOPMENT) $$tmp/development.txt; \
	$(UV_COMPILE) -o $$tmp/production.txt && $(UV_COMPILE) --extra dev -o $$tmp/development.txt || exit 1; \
	if ! diff -q $(LOCK_PRODUCTION) $$tmp/production.txt >/dev/null || \
	   ! diff -q $(LOCK_DEVELOPMENT) $$tmp/development.txt >/dev/null; then \
	  diff -u $(LOCK_PRODUCTION) $$tmp/production.txt | head -40; \
	  diff -u $(LOCK_DEVELOPMENT) $$tmp/development.txt | head -40; \
	  echo "pyproject.toml and the lock files in requirements/ disagree: run 'make lock' and commit the result."; \
	  exit 1; \
	fi; echo "lock files match pyproject.toml"

# One command: migrate, demo data, then the web server, the task worker and the poller together.
# Ctrl-C stops them all; if one dies, the others are stopped too. Only these three are signalled
# (not the whole process group), so the task cluster can stop its own workers in order and exit.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: export SANDBOX_ENABLED ?= true
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py schedules
	$(PY) manage.py demo
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	$(PY) manage.py run_worker & \
	$(PY) manage.py run_poller & \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload & \
	wait -n

worker: install
	$(PY) manage.py run_worker

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3* .test-db.sqlite3* staticfiles
