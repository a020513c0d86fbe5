"""Storage is a collaborator: nothing binds a table at import, and one process acts on two stages."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from chalicelib.access import auth
from chalicelib.common.errors import NotFound, Unauthorized
from chalicelib.events import events
from chalicelib.storage.tables import Tables
from tests import dates

ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERYTHING = """
import importlib, pkgutil, chalicelib
from chalicelib.storage import models
for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
    importlib.import_module(module.name)
import app
try:
    models.Registration.get("anyone")
except AttributeError as unbound:
    print("unbound:", unbound)
"""


def test_every_module_imports_with_no_stage_configured_and_binds_no_table():
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("KAPI_", "AWS_"))}
    result = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "unbound: As of v1.0 PynamoDB Models must have a table_name" in result.stdout


def _event(event_id: str) -> dict:
    return {"id": event_id, "name": {"en": "Forum"}, "venue": "Bakı", "timezone": "Asia/Baku",
            "status": "published", "starts_at": dates.day_at(30, "10:00", "Asia/Baku"),
            "ends_at": dates.day_at(30, "18:00", "Asia/Baku")}


def test_two_stages_in_one_process_write_each_to_its_own_tables(dynamodb_endpoint):
    region = os.environ["AWS_DEFAULT_REGION"]
    first = Tables(f"kapi-a{uuid.uuid4().hex[:6]}-", region)
    second = Tables(f"kapi-b{uuid.uuid4().hex[:6]}-", region)
    for stage in (first, second):
        stage.create()
    events.create(first, _event("izmir-forum"))
    events.create(second, _event("baku-forum"))

    assert events.load(first, "izmir-forum")["venue"] == "Bakı"
    assert events.load(second, "baku-forum")["id"] == "baku-forum"
    with pytest.raises(NotFound):
        events.load(second, "izmir-forum")
    with pytest.raises(NotFound):
        events.load(first, "baku-forum")
    assert first.Event.Meta.table_name == f"{first.prefix}events" != second.Event.Meta.table_name


def test_the_deploy_tools_first_admin_token_lands_in_the_deployed_stage(db):
    from infra.deploy import first_admin_token
    from infra.stages import load_stage

    dev = load_stage("dev")
    deployed = dataclasses.replace(dev, environment={**dev.environment,
                                                     "KAPI_TABLE_PREFIX": f"kapi-dev{uuid.uuid4().hex[:6]}-"})
    stage_tables = Tables(deployed.table_prefix, os.environ["AWS_DEFAULT_REGION"])
    stage_tables.create()

    token = first_admin_token(deployed, os.environ["AWS_DEFAULT_REGION"])

    assert auth.authenticate(stage_tables, f"Bearer {token}").role == "admin"
    with pytest.raises(Unauthorized):
        auth.authenticate(db, f"Bearer {token}")  # not in the tables this process was started for


def test_a_kept_table_gets_the_indexes_declared_since(dynamodb_endpoint):
    """A local data dir from before an index was declared: the next start adds the index."""
    stage = Tables(f"kapi-c{uuid.uuid4().hex[:6]}-", os.environ["AWS_DEFAULT_REGION"])
    tokens = stage.connection.client
    tokens.create_table(TableName=stage.Token.Meta.table_name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    stage.create()
    described = tokens.describe_table(TableName=stage.Token.Meta.table_name)["Table"]
    assert [index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])] == ["by_creator"]
