"""Which items a DynamoDB request touches, and reading or replacing one item in moto's tables.

The local server needs this for three jobs that moto does not do: undoing a BatchWriteItem that
failed half-way, the fault mode's per-item decisions (in-flight transactions, write rate), and
serving index queries from an earlier state (index lag). All of them work on a request's JSON
body and on moto's ``Table.items`` directly, which is why they hold the server's lock.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

#: Write units per item: a transactional write costs two (SPEC §11), item size is not modelled.
STANDARD_UNITS, TRANSACTIONAL_UNITS = 1, 2


@dataclass(frozen=True)
class Touch:
    """One item a request names: its table, its key (attribute-value JSON), and what it costs."""

    table: str
    key: dict[str, Any]
    units: int  # write units; 0 for a ConditionCheck, which reads

    @property
    def identity(self) -> tuple[str, str]:
        return self.table, json.dumps(self.key, sort_keys=True)


def all_tables() -> Iterator[tuple[str, str, Table]]:
    for account, regions in list(dynamodb_backends.items()):
        for region, backend in list(regions.items()):
            for table in list(backend.tables.values()):
                yield account, region, table


def find_table(name: str) -> Table | None:
    """The table of that name in any account or region (the server's clients use one of each)."""
    return next((table for _, _, table in all_tables() if table.name == name), None)


def touches(operation: str, body: dict[str, Any]) -> list[Touch]:
    """The items a write request names, in request order; [] for reads and unknown tables."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        found = _touch(body.get("TableName"), body, STANDARD_UNITS)
        return [found] if found else []
    if operation == "BatchWriteItem":
        return [found for table, requests in (body.get("RequestItems") or {}).items()
                for request in requests or [] for found in [_batch_touch(table, request)] if found]
    if operation == "TransactWriteItems":
        return [_transact_touch(element) for element in body.get("TransactItems") or []]
    return []


def _batch_touch(table: str, request: Any) -> Touch | None:
    if not isinstance(request, dict):
        return None
    put, delete = request.get("PutRequest"), request.get("DeleteRequest")
    return _touch(table, {"Item": put.get("Item")} if isinstance(put, dict)
                  else {"Key": delete.get("Key")} if isinstance(delete, dict) else {}, STANDARD_UNITS)


def _transact_touch(element: Any) -> Touch:
    """A transaction's element; one that cannot be read still holds its place (reasons are by position),
    with no table and no cost, and moto then refuses the request."""
    kind, operation = next(iter(element.items())) if isinstance(element, dict) and element else ("", {})
    operation = operation if isinstance(operation, dict) else {}
    units = 0 if kind == "ConditionCheck" else TRANSACTIONAL_UNITS
    return _touch(operation.get("TableName"), operation, units) or Touch("", {}, 0)


def _touch(table_name: Any, operation: dict[str, Any], units: int) -> Touch | None:
    table = find_table(table_name) if isinstance(table_name, str) else None
    if table is None:
        return None
    source = operation.get("Key") if "Key" in operation else operation.get("Item")
    if not isinstance(source, dict):
        return None
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    if any(name not in source for name in names):
        return None
    return Touch(table.name, {name: source[name] for name in names}, units)


def key_values(table: Table, key: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    hash_value = DynamoType(key[table.hash_key_attr])
    return hash_value, DynamoType(key[table.range_key_attr]) if table.range_key_attr else None


def stored_items(table: Table) -> list[Item]:
    """Every item of the table, in no particular order (moto's ``all_items`` sorts them all)."""
    if table.range_key_attr is None:
        return list(table.items.values())
    return [item for partition in table.items.values() for item in partition.values()]


def current_item(table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> Item | None:
    """The stored item or None, without creating the empty partition a plain lookup leaves behind."""
    if range_value is None:
        return table.items.get(hash_value)
    partition = table.items.get(hash_value)
    return partition.get(range_value) if partition else None


def place_item(table: Table, hash_value: DynamoType, range_value: DynamoType | None,
               item: Item | None) -> None:
    """Make ``item`` the stored item under this key (None: no item), bypassing streams and checks."""
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
        return
    partition = table.items[hash_value]
    if item is None:
        partition.pop(range_value, None)
        if not partition:
            del table.items[hash_value]
    else:
        partition[range_value] = item
