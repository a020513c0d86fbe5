"""Item-bearing answers of the local DynamoDB server without moto's round trips through Python types.

moto 5.2.5 answers every call that returns items (GetItem, Query, BatchGetItem, writes with
ReturnValues...) through ``DynamoResult``: it turns each attribute into a plain Python value with
boto3's TypeDeserializer, then its shape-driven serializer walks the operation's output shape to
turn them back into ``{"S": ...}`` JSON, one reflective call per attribute. A projection
(``ProjectionExpression``) does the same dance once more, with a deep copy of the whole item. For a
door scan's GetItem of 9 attributes that was 85 % of the server's 1.4 ms (profiled in-process).

The items are already kept in DynamoDB's wire form (``DynamoType``), so this module writes them
out as they are:

* ``DynamoResult`` of the calls that read or write items serializes its result with
  ``json.dumps``; a DynamoType becomes its wire JSON (binary values base64, as DynamoDB sends
  them), and members that are None are left out, as moto's serializer leaves them out. Table
  descriptions and the rest keep moto's serializer, which also picks their members by shape.
* ``Item.project`` picks top-level attributes directly; a projection with a nested path
  (``a.b``, ``a[0]``) still goes through moto's own code.

Errors still go through moto's serializer: only successful answers change.
``test_item_answers_are_the_ones_moto_gives`` (tests/devstack/test_dynamo_server.py) checks the
answers equal moto's own, for every attribute type.
"""

import base64
import json
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb import responses
from moto.dynamodb.models.dynamo_type import DynamoType, Item

JSON = "application/x-amz-json-1.0"
ITEM_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem",
                             "DeleteItem", "TransactGetItems"})
_MotoResult = responses.DynamoResult
_moto_project = Item.project


class WireResult(ActionResult):
    """A successful DynamoDB answer written straight from the stored wire-form values."""

    def execute_result(self, context: Any) -> Any:
        if context.operation_model.name not in ITEM_OPERATIONS:
            return _MotoResult(self.result).execute_result(context)
        return 200, {"Content-Type": JSON}, dumps(self.result)


def dumps(result: dict) -> str:
    """An answer's JSON, its items written from their stored wire form."""
    return json.dumps(_without_none(result), default=_wire)


def project(item: Item, projection_expressions: list[list[str]]) -> Item:
    """``Item.project`` for the common case of top-level names; nested paths go to moto."""
    if any(len(path) != 1 for path in projection_expressions):
        return _moto_project(item, projection_expressions)
    names = [path[0] for path in projection_expressions]
    return Item(hash_key=item.hash_key, range_key=item.range_key,
                attrs={name: item.attrs[name] for name in names if name in item.attrs})


def install() -> None:
    responses.DynamoResult = WireResult
    Item.project = project


def _wire(value: Any) -> Any:
    """What json.dumps cannot write by itself, as DynamoDB writes it."""
    if isinstance(value, DynamoType):
        if value.type == "B" and isinstance(value.value, bytes):
            return {"B": base64.b64encode(value.value).decode()}
        if value.type == "BS":
            return {"BS": [base64.b64encode(v).decode() if isinstance(v, bytes) else v for v in value.value]}
        return {value.type: value.value}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"{type(value).__name__} is not part of a DynamoDB answer")


def _without_none(value: Any) -> Any:
    """Drop None members of the answer's own structures (DynamoType values are left alone)."""
    if isinstance(value, dict):
        return {key: _without_none(member) for key, member in value.items() if member is not None}
    if isinstance(value, list):
        return [_without_none(member) for member in value]
    return value
