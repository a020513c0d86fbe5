# Two commands set everything up on a fresh machine with Python 3.11+:
#   make run    the whole system locally (local DynamoDB-compatible server, email outbox, no AWS account)
#   make test   the test suite, against the same local server
# and, for AWS (infra/README.md):
#   make package STAGE=dev           the deployable stack in build/dev/ (sam.json, checked by cfn-lint)
#   make deploy STAGE=dev [DRY_RUN=1] package and deploy it (the dry run works offline)
#   make destroy STAGE=dev           delete the stage's stack (prod's tables are kept)
#   make rehearse                    package, deploy and run an event day on an AWS stand-in (SPEC §12)
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

# checkov pins an older boto3 than Kapı's, so it lives in a venv of its own.
CHECKOV_VENV ?= .venv-checkov
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements-checkov.txt
	touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Installs from Debian what the tests need and this machine lacks, when this user can (root with
# apt-get): Chromium for the browser tests (without recommends: 25 packages instead of 115, enough for
# headless) and faketime for the calendar tests (tests/test_any_date.py, make test-ahead). Otherwise
# those tests skip, or fail under CI.
DEBIAN_PACKAGES = $(if $(wildcard $(CHROMIUM)),,chromium) \
                  $(if $(wildcard /usr/lib/*/faketime/libfaketime.so.1),,faketime)
system-packages:
	@if [ -n "$(strip $(DEBIAN_PACKAGES))" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(strip $(DEBIAN_PACKAGES)); \
	fi

.PHONY: run test lint test-unit test-faults test-ahead bench bench-scale package deploy destroy rehearse system-packages
run: $(VENV)/.installed
	$(PY) -m devstack.run

# The HTTP and page tier runs on two workers, a file each at a time, each with its own local DynamoDB server
# and local run (half the time on 2 cores: most of a test is waiting on a server). Schemathesis' per-operation
# tests are not distributed by xdist (it ran one operation of 41), so the fuzzer runs on its own after it.
FUZZ_TESTS = tests/organiser/test_fuzz.py
# In order, each stopping the run on its failures: lint and types, the unit tier (domain rules against
# the local store, no HTTP: under a minute), everything over HTTP and in the browser, the fault mode.
test: $(VENV)/.installed system-packages lint test-unit
	KAPI_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q -n 2 --dist loadfile tests --ignore=tests/unit --ignore=$(FUZZ_TESTS)
	$(PY) -m pytest -q $(FUZZ_TESTS)
	$(MAKE) --no-print-directory test-faults
	$(MAKE) --no-print-directory rehearse

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test-unit: $(VENV)/.installed
	$(PY) -m pytest -q -x -p no:cacheprovider tests/unit

test-faults: $(VENV)/.installed
	KAPI_DYNAMO_FAULTS="$(FAULTS)" $(PY) -m pytest -q -p no:cacheprovider $(FAULT_TESTS)

# `make test` with the calendar DAYS ahead, every process of it under Debian's faketime (README "The
# date rule for tests"): only the calendar moves, and tests/faketime/sitecustomize.py says why.
DAYS ?= 365
test-ahead: $(VENV)/.installed system-packages
	FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 PYTHONPATH=tests/faketime \
		faketime -f '+$(DAYS)d' $(MAKE) --no-print-directory test

bench: $(VENV)/.installed system-packages
	KAPI_CHROMIUM=$(CHROMIUM) $(PY) -m bench.benchmark

# The design load scaled down, one counter item against the shards, with the local server's fault mode.
bench-scale: $(VENV)/.installed
	$(PY) -m bench.scale

package: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(PY) -m infra.runtime
	$(PY) -m infra.policies
	$(PY) -m infra.template --stage $(STAGE) --output $(BUILD)/$(STAGE)-extras.json
	AWS_DEFAULT_REGION=$(AWS_DEFAULT_REGION) $(VENV)/bin/chalice package --stage $(STAGE) \
		--merge-template $(BUILD)/$(STAGE)-extras.json $(BUILD)/$(STAGE)
	$(PY) -m infra.bytecode $(BUILD)/$(STAGE)/deployment.zip $(BUILD)/$(STAGE)/layer-deployment.zip
	$(VENV)/bin/cfn-lint --regions $(AWS_DEFAULT_REGION) -- $(BUILD)/$(STAGE)/sam.json
	$(CHECKOV_VENV)/bin/python -m infra.checkov $(BUILD)/$(STAGE)/sam.json

# DRY_RUN=1 prints what would be created and stops; a placeholder left in .chalice/config.json fails
# either way, before anything is packaged (unless AWS_ENDPOINT_URL is a stand-in on this machine).
# BUCKET is optional. Stack parameters: ALARM_TOPIC_ARN, SENDER_DOMAIN, or any as PARAMETERS='Key=Value ...';
# one not given keeps the value the stack has (ALARM_TOPIC_ARN=none clears the topic).
deploy: $(VENV)/.installed
ifeq ($(DRY_RUN),1)
	$(PY) -m infra.deploy --stage $(STAGE) --dry-run
else
	$(PY) -m infra.deploy --stage $(STAGE) --dry-run > /dev/null
	$(MAKE) package STAGE=$(STAGE)
	AWS_DEFAULT_REGION=$(AWS_DEFAULT_REGION) $(PY) -m infra.deploy --stage $(STAGE) --build $(BUILD)/$(STAGE) \
		$(if $(BUCKET),--bucket $(BUCKET)) \
		$(if $(ALARM_TOPIC_ARN),--alarm-topic-arn '$(if $(filter none,$(ALARM_TOPIC_ARN)),,$(ALARM_TOPIC_ARN))') \
		$(if $(SENDER_DOMAIN),--sender-domain '$(if $(filter none,$(SENDER_DOMAIN)),,$(SENDER_DOMAIN))') \
		$(foreach p,$(PARAMETERS),--parameter '$(p)')
endif

# SPEC §12: the packaged stacks of dev and prod deployed by `make deploy`'s code to an AWS stand-in on this
# machine (moto), the packaged API function run as Lambda runs it behind API Gateway's rules, an event day
# through it, an update, a rerun, a failed first deploy and its recovery, and `make destroy` (README,
# "The deployment rehearsal"). Exits non-zero on any failure.
rehearse: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(MAKE) --no-print-directory package STAGE=dev BUILD=$(BUILD)/rehearsal
	$(MAKE) --no-print-directory package STAGE=prod BUILD=$(BUILD)/rehearsal
	$(PY) -m infra.rehearse --build $(BUILD)/rehearsal

# Deletes the stage's stack; on prod its data tables stay (DeletionPolicy Retain), and so do the signing
# keys and the artifact bucket everywhere.
destroy: $(VENV)/.installed
	AWS_DEFAULT_REGION=$(AWS_DEFAULT_REGION) $(PY) -m infra.deploy --stage $(STAGE) --destroy
