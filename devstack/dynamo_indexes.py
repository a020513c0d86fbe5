"""Secondary-index partitions for the local DynamoDB server, so an index Query reads its partition only.

moto keeps no index structure: a Query on a secondary index tests every item of the table. Kapı's
index queries (an event's registrations, the outbox's due messages, the door's offline bundle) hit
tables that grow all day, so each one cost O(table): in a full test run they were ~95 % of the
server's query time, and exporting an event of 10,000 paged through the whole table once per page.

This module keeps, per table, which items hold each value of each index's partition key. A table's
map is built by its first index query, then kept exact by the requests that change items: the
successful writes the journal records (a refused write changes nothing, which the journal's replay
relies on as well), refreshed item by item from their keys, and the index lag's temporary swaps.
Anything else that changes data (a table's definition, PartiQL) drops the maps; they are rebuilt
on the next index query. moto still filters, sorts and pages what the map hands it, so a map can
only ever make a query cheaper, never change its answer.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from devstack.dynamo_items import all_tables, current_item, find_table, key_values, stored_items, touches

#: The writes whose items `touches` names; every other journaled request drops the maps.
ITEM_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
_MAP = "_kapi_index_map"

PrimaryKey = tuple[DynamoType, DynamoType | None]


class IndexMap:
    """Which stored items hold each value of each index partition key attribute of one table."""
    made = 0  # maps made in this process: each one's serial number

    def __init__(self, table: Table) -> None:
        self.table = table
        IndexMap.made += 1
        self.serial = IndexMap.made
        keys = (_partition_key(index) for index in table.all_indexes())
        self.attributes = {key for key in keys if key is not None}
        self._members: dict[str, dict[DynamoType, dict[PrimaryKey, None]]] = {a: {} for a in self.attributes}
        self._values: dict[PrimaryKey, dict[str, DynamoType]] = {}
        self.version = 0  # moved on by every write it follows: what a sorted partition was made from
        for item in stored_items(table):
            self._add((item.hash_key, item.range_key), item)

    def items(self, attribute: str, value: DynamoType) -> list[Item]:
        found = (current_item(self.table, *key) for key in self._members[attribute].get(value, ()))
        return [item for item in found if item is not None]

    def refresh(self, key: PrimaryKey) -> None:
        """Follow the item now stored under `key` (or its absence)."""
        self.version += 1
        for attribute, value in self._values.pop(key, {}).items():
            members = self._members[attribute][value]
            del members[key]
            if not members:
                del self._members[attribute][value]
        item = current_item(self.table, *key)
        if item is not None:
            self._add(key, item)

    def _add(self, key: PrimaryKey, item: Item) -> None:
        values = {attribute: item.attrs[attribute] for attribute in self.attributes if attribute in item.attrs}
        for attribute, value in values.items():
            self._members[attribute].setdefault(value, {})[key] = None
        if values:
            self._values[key] = values


def partition(table: Table, index_name: str, conditions: list[tuple[str, DynamoType]] | None) -> list[Item] | None:
    """The items that can be in the asked partition of the index, or None when the map cannot say."""
    index = next((index for index in table.all_indexes() if index.name == index_name), None)
    attribute = _partition_key(index) if index is not None else None
    if attribute is None or not conditions or len(conditions) != 1 or conditions[0][0] != attribute:
        return None
    index_map = getattr(table, _MAP, None)
    if index_map is None:
        index_map = IndexMap(table)
        setattr(table, _MAP, index_map)
    return index_map.items(attribute, conditions[0][1])


def state(table: Table) -> tuple[int, int] | None:
    """Which map, at which version, answered the table's last index query (None: no map)."""
    index_map = getattr(table, _MAP, None)
    return None if index_map is None else (index_map.serial, index_map.version)


def written(operation: str, body: dict[str, Any]) -> None:
    """After a successful journaled request: follow the items it wrote, or forget every map."""
    if operation not in ITEM_WRITES:
        forget()
        return
    for touch in touches(operation, body):
        table = find_table(touch.table)
        if table is not None:
            refresh(table, key_values(table, touch.key))


def refresh(table: Table, key: PrimaryKey) -> None:
    index_map = getattr(table, _MAP, None)
    if index_map is not None:
        index_map.refresh(key)


def forget() -> None:
    for _, _, table in all_tables():
        if hasattr(table, _MAP):
            delattr(table, _MAP)


def _partition_key(index: Any) -> str | None:
    """The index's one partition key attribute; None for moto's multi-attribute keys, left to moto."""
    names = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    return names[0] if len(names) == 1 else None
