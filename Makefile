SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run worker test lint format clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# One command: migrate, demo data, then the web server, the task worker and the poller together.
# Ctrl-C stops them all; if one dies, the others are stopped too. Only these three are signalled
# (not the whole process group), so qcluster can stop its own workers in order and exit.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: export SANDBOX_ENABLED ?= true
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	$(PY) manage.py qcluster & \
	$(PY) manage.py run_poller & \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload & \
	wait -n

worker: install
	$(PY) manage.py qcluster

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
