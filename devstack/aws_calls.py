"""What Kapı's code asks of AWS: every call its botocore clients make, recorded in this process.

Two things are read off the same record: the IAM actions a function needs (tests/infra/test_policies.py
holds each function's policy to them) and the DynamoDB capacity units it consumes (bench/cost.py
prices them). The recorder wraps botocore's one entry point for API calls, so it sees pynamodb's
client, boto3's, and any other, with the request as sent and the response as parsed.

Also here: the app in this process as a Chalice stage of its own (Chalice's test client sets a
stage's environment, and the committed stages point at AWS or at the default local tables).
"""
from __future__ import annotations

import json
import math
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import botocore.client

# The parts of a TransactWriteItems and a BatchWriteItem, and the IAM action each needs.
_ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem", "PutRequest": "PutItem", "DeleteRequest": "DeleteItem"}
WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: dict
    response: dict

    def iam_actions(self) -> set[str]:
        if self.operation == "TransactWriteItems":
            return {f"dynamodb:{_ITEM_ACTIONS[kind]}" for item in self.params["TransactItems"] for kind in item}
        if self.operation == "BatchWriteItem":
            return {f"dynamodb:{_ITEM_ACTIONS[kind]}" for writes in self.params["RequestItems"].values()
                    for write in writes for kind in write}
        if self.operation == "TransactGetItems":
            return {"dynamodb:GetItem"}
        return {f"{self.service}:{self.operation}"}

    def write_units(self) -> float:
        """DynamoDB's write request units, from the size of what was written (a transaction's twice)."""
        if self.service != "dynamodb":
            return 0.0
        if self.operation == "TransactWriteItems":
            return 2 * sum(_write_units(next(iter(item.values()))) for item in self.params["TransactItems"])
        if self.operation in ("PutItem", "UpdateItem", "DeleteItem"):
            return _write_units(self.params)
        if self.operation == "BatchWriteItem":
            return sum(_write_units(next(iter(write.values()))) for writes in self.params["RequestItems"].values()
                       for write in writes)
        return 0.0

    def read_units(self) -> float:
        """Read request units, from the size of what came back (eventually consistent reads cost half)."""
        if self.service != "dynamodb" or self.operation not in ("GetItem", "Query", "BatchGetItem"):
            return 0.0
        factor = 1.0 if self.params.get("ConsistentRead") else 0.5
        if self.operation == "GetItem":
            return factor * _units(_size(self.response.get("Item", {})), READ_UNIT_BYTES)
        if self.operation == "Query":  # a page is read as one block of the items' total size
            return factor * _units(sum(_size(item) for item in self.response.get("Items", [])), READ_UNIT_BYTES)
        return sum(factor * _units(_size(item), READ_UNIT_BYTES)
                   for items in self.response.get("Responses", {}).values() for item in items)


def _size(value) -> int:
    return len(json.dumps(value, default=str, ensure_ascii=False).encode("utf-8"))


def _units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


def _write_units(request: dict) -> int:
    """Units of one item write: the item sent (Put), or the key and the values set (Update/Delete)."""
    item = request.get("Item") or {**request.get("Key", {}), **request.get("ExpressionAttributeValues", {})}
    return _units(_size(item), WRITE_UNIT_BYTES)


@dataclass
class Recorder:
    """Records every AWS call made while `recording()` is open, whichever client makes it."""
    calls: list[Call] = field(default_factory=list)
    _on: bool = False

    @contextmanager
    def installed(self):
        original = botocore.client.BaseClient._make_api_call
        recorder = self

        def make_api_call(client, operation, params):
            response = original(client, operation, params)
            if recorder._on:
                recorder.calls.append(Call(client.meta.service_model.signing_name, operation, params, response))
            return response

        botocore.client.BaseClient._make_api_call = make_api_call
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original

    @contextmanager
    def recording(self):
        self.calls = []
        self._on = True
        try:
            yield self.calls
        finally:
            self._on = False


@contextmanager
def app_client(project_dir: Path, environment: dict[str, str]):
    """Chalice's test client over `app`, as a stage named "local-process" with `environment`."""
    from chalice.test import Client

    from app import app
    from chalicelib import process

    (project_dir / ".chalice").mkdir(parents=True, exist_ok=True)
    (project_dir / ".chalice" / "config.json").write_text(json.dumps(
        {"version": "2.0", "app_name": "kapi", "stages": {"local-process": {"environment_variables": environment}}}))
    saved = dict(os.environ)
    os.environ.update(environment)  # the test client sets the stage's environment for functions, not routes
    process.rebuild()
    try:
        with Client(app, stage_name="local-process", project_dir=str(project_dir)) as client:
            yield client
    finally:
        os.environ.clear()
        os.environ.update(saved)
        process.rebuild()
