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
# The browser tests (tests/pages) drive Debian's Chromium through Playwright's `executable_path`;
# Playwright's own browser download (`playwright install`) is never used.
CHROMIUM ?= /usr/bin/chromium
# `make test` runs the suite twice: as it is, then the race, registration, check-in and email tests
# against the local DynamoDB server in fault mode (README "Fault mode"). They must pass unchanged.
FAULTS      ?= conflicts=0.1,throttles=0.05,errors=0.01,index_lag_ms=200,transaction_ms=5
FAULT_TESTS ?= tests/delivery/test_pipeline.py tests/api/test_races.py tests/checkin/test_races.py \
               tests/api/test_registration.py tests/checkin/test_scans.py

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Installs Chromium when it is missing and this user can (root with apt-get); otherwise the browser
# tests skip, or fail under CI. Without recommends: 25 packages instead of 115, enough for headless.
chromium:
	@if [ ! -x "$(CHROMIUM)" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	fi

.PHONY: run test test-faults bench package chromium
run: $(VENV)/.installed
	$(PY) -m devstack.run

test: $(VENV)/.installed chromium
	KAPI_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q tests
	$(MAKE) --no-print-directory test-faults

test-faults: $(VENV)/.installed
	KAPI_DYNAMO_FAULTS="$(FAULTS)" $(PY) -m pytest -q -p no:cacheprovider $(FAULT_TESTS)

bench: $(VENV)/.installed
	$(PY) -m bench.benchmark

package: $(VENV)/.installed
	$(PY) -m infra.template --stage $(STAGE) --output $(BUILD)/$(STAGE)-extras.json
	AWS_DEFAULT_REGION=$(AWS_DEFAULT_REGION) $(VENV)/bin/chalice package --stage $(STAGE) \
		--merge-template $(BUILD)/$(STAGE)-extras.json $(BUILD)/$(STAGE)
	$(VENV)/bin/cfn-lint --regions $(AWS_DEFAULT_REGION) -- $(BUILD)/$(STAGE)/sam.json
