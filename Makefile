# Two commands set everything up on a fresh machine with Python 3.11+:
#   make run    the whole system locally (local DynamoDB-compatible server, email outbox, no AWS account)
#   make test   the test suite, against the same local server
# and, for AWS (infra/README.md):
#   make package STAGE=dev   the deployable stack in build/dev/ (sam.json, checked by cfn-lint)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAGE  ?= dev
BUILD  ?= build
# `chalice package` needs a region (for service principals) but no credentials.
AWS_DEFAULT_REGION ?= eu-central-1

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

.PHONY: run test bench package
run: $(VENV)/.installed
	$(PY) -m devstack.run

test: $(VENV)/.installed
	$(PY) -m pytest -q tests

bench: $(VENV)/.installed
	$(PY) -m bench.benchmark

package: $(VENV)/.installed
	$(PY) -m infra.template --stage $(STAGE) --output $(BUILD)/$(STAGE)-extras.json
	AWS_DEFAULT_REGION=$(AWS_DEFAULT_REGION) $(VENV)/bin/chalice package --stage $(STAGE) \
		--merge-template $(BUILD)/$(STAGE)-extras.json $(BUILD)/$(STAGE)
	$(VENV)/bin/cfn-lint --regions $(AWS_DEFAULT_REGION) -- $(BUILD)/$(STAGE)/sam.json
