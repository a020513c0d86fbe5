# Two commands set everything up on a fresh machine with Python 3.11+:
#   make run    the whole system locally (local DynamoDB-compatible server, email outbox, no AWS account)
#   make test   the test suite, against the same local server
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

.PHONY: run test bench
run: $(VENV)/.installed
	$(PY) -m devstack.run

test: $(VENV)/.installed
	$(PY) -m pytest -q tests

bench: $(VENV)/.installed
	$(PY) -m bench.benchmark
