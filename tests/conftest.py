"""Shared fixtures: a DynamoDB-compatible endpoint, the local run on top of it, and API helpers.

By default a local DynamoDB server (devstack) is started for the session. Set
KAPI_TEST_DYNAMODB_ENDPOINT to run the same suite against any other endpoint (DynamoDB Local, or a
real AWS region with credentials in the environment): tables get a unique per-run prefix.
"""
from __future__ import annotations

import os
import secrets
import tempfile
import uuid

import pytest

os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
os.environ["KAPI_TABLE_PREFIX"] = f"kapi-test-{uuid.uuid4().hex[:8]}-"
os.environ["KAPI_ADMIN_TOKEN"] = secrets.token_urlsafe(24)
os.environ["KAPI_DATA_DIR"] = tempfile.mkdtemp(prefix="kapi-tests-")  # this process's signing keys

from devstack.dynamo_faults import FaultConfig  # noqa: E402
from tests import dates  # noqa: E402
from tests.stack import FAULTS, Api, LocalRun  # noqa: E402

#: What GET /_kapi/faults counts for each rate of the fault mode.
INJECTED = {"conflicts": "transaction_conflict", "throttles": "throttling", "errors": "internal_error"}


@pytest.fixture(scope="session")
def dynamo_server(tmp_path_factory):
    """The session's local DynamoDB server (devstack), or None when the suite runs against another
    endpoint. It inherits KAPI_DYNAMO_FAULTS, so the whole run can be in fault mode."""
    if os.environ.get("KAPI_TEST_DYNAMODB_ENDPOINT"):
        yield None
        return
    from devstack.dynamo_process import DynamoProcess

    with DynamoProcess(tmp_path_factory.mktemp("dynamodb")) as dynamo:
        yield dynamo


@pytest.fixture(scope="session")
def dynamodb_endpoint(dynamo_server):
    endpoint = dynamo_server.endpoint if dynamo_server else os.environ["KAPI_TEST_DYNAMODB_ENDPOINT"]
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    return endpoint


@pytest.fixture(scope="session", autouse=FAULTS != FaultConfig())
def faults_were_met(dynamo_server):
    """In a fault-mode run, the run proves something only if the faults actually happened."""
    yield
    injected = dynamo_server.faults()["injected"]
    missing = [name for name, kind in INJECTED.items() if getattr(FAULTS, name) and not injected.get(kind)]
    assert not missing, f"fault mode on, but no {missing} were injected: {injected}"


@pytest.fixture
def store_faults(dynamo_server, db):
    """``store_faults(throttles=1.0, ...)`` puts the local server in that fault mode for one test
    (see devstack/dynamo_faults.py); the session's own fault settings come back afterwards."""
    if dynamo_server is None:
        pytest.skip("fault mode needs the local DynamoDB server")
    baseline = dynamo_server.faults()["config"]
    yield dynamo_server.set_faults
    dynamo_server.set_faults(**baseline)


@pytest.fixture(scope="session")
def db(dynamodb_endpoint):
    """The session's tables (this run's own prefix), created on the session's DynamoDB endpoint: what
    tests hand the domain, as the app hands it its stage's tables."""
    from chalicelib.storage.tables import Tables

    tables = Tables(os.environ["KAPI_TABLE_PREFIX"], os.environ["AWS_DEFAULT_REGION"])
    tables.create()
    return tables


@pytest.fixture(scope="session")
def local_run(db, tmp_path_factory):
    """The local run, sharing the session's DynamoDB endpoint and table prefix with the tests."""
    run = LocalRun(tmp_path_factory.mktemp("kapi-data"),
                   {"KAPI_RATE_LIMIT": "0", "KAPI_OUTBOX_QUEUE": "local-run"}).start()
    yield run
    run.stop()


@pytest.fixture(scope="session")
def api(local_run) -> Api:
    return Api(local_run.url, os.environ["KAPI_ADMIN_TOKEN"])


@pytest.fixture(scope="session")
def make_event(api):
    """Create a published event with a unique id; keyword arguments override the defaults.

    By default it takes place two months from today (tests/dates.py: never a fixed day)."""
    def make(**overrides) -> dict:
        event = {
            "id": f"ev-{uuid.uuid4().hex[:10]}",
            "name": {"tr": "Gençlik Forumu", "az": "Gənclik Forumu", "en": "Youth Forum"},
            "venue": "Ahmet Adnan Saygun Sanat Merkezi, İzmir",
            "starts_at": dates.day_at(60, "10:00"),
            "ends_at": dates.day_at(60, "18:00"),
            "timezone": "Europe/Istanbul",
            "status": "published",
            **overrides,
        }
        response = api.post("/api/events", json=event, token=api.admin_token)
        assert response.status_code == 201, response.text
        return response.json()
    return make
