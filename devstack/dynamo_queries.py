"""Query on the local DynamoDB server in the time of what it reads, not of the whole table.

moto 5.2.5's ``Table.query`` starts from ``Table.all_items()``, which gathers every item of the
table and sorts them all by key (DynamoType comparisons in Python), then keeps the ones of the
asked partition and sorts those again. Every Query, even one on a primary key, so cost
O(n log n) in the table's size: the mail worker's poll of the outbox, the door's shard reads
and the dashboard's lists all slowed down as a day's data grew (a seventh of the server's time
during a door benchmark went to that sort).

While a query runs, ``all_items`` here gives it
* for the table's own key: that partition's items only, which are the only ones moto keeps;
* for an index: every item, unsorted, as moto filters them and sorts what it keeps by the
  index's keys anyway.
Everything else that reads ``all_items`` (Scan and its pagination, the snapshot, the TTL sweep)
still gets moto's sorted list. The server runs one request at a time (dynamo_server.py's lock),
so the marker on the table cannot leak into another request.
"""

import inspect
from typing import Any

from moto.dynamodb.models.table import Table

_moto_query = Table.query
_moto_all_items = Table.all_items
_SCOPE = "_kapi_query_scope"
_EVERY_ITEM = object()
_SIGNATURE = inspect.signature(_moto_query)


def query(table: Table, *args: Any, **kwargs: Any) -> Any:
    asked = _SIGNATURE.bind(table, *args, **kwargs).arguments
    setattr(table, _SCOPE, _EVERY_ITEM if asked.get("index_name") else asked["hash_key"])
    try:
        return _moto_query(table, *args, **kwargs)
    finally:
        delattr(table, _SCOPE)


def all_items(table: Table) -> Any:
    scope = getattr(table, _SCOPE, None)
    if scope is None:
        return _moto_all_items(table)
    partitions = table.items.values() if scope is _EVERY_ITEM else [table.items.get(scope)]
    if table.range_key_attr is None:
        return [item for item in partitions if item is not None]
    return [item for partition in partitions if partition for item in partition.values()]


def install() -> None:
    Table.query = query
    Table.all_items = all_items
