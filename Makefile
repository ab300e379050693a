# Two commands do all the set-up: `make demo` and `make test`. Everything else here serves those two.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_ENV := AVAIN_DEMO=1 AVAIN_DEBUG=1

.PHONY: install demo test lint messages serve bench

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Avain needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . 2>/dev/null || $(PY) -m pip install --quiet --no-deps -e .
	touch $@

demo: install
	$(DEMO_ENV) $(PY) -m avain migrate --noinput
	$(DEMO_ENV) $(PY) -m avain load_demo
	$(DEMO_ENV) $(PY) -m avain runserver $(HOST):$(PORT)

test: install
	$(PY) -m avain makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

bench: install
	$(PY) bench/run.py

messages: install
	cd src/avain && ../../$(PY) -m avain makemessages --no-obsolete -l fi -l sv -l en && ../../$(PY) -m avain compilemessages
