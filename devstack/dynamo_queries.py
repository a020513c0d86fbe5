"""Query on the local DynamoDB server in the time of what it reads, not of the whole table.

moto 5.2.5's ``Table.query`` starts from ``Table.all_items()``, which gathers every item of the
table and sorts them all by key (DynamoType comparisons in Python), then keeps the ones of the
asked partition and sorts those again. Every Query, even one on a primary key, so cost
O(n log n) in the table's size: the mail worker's poll of the outbox, the door's shard reads
and the dashboard's lists all slowed down as a day's data grew (a seventh of the server's time
during a door benchmark went to that sort).

While a query runs, ``all_items`` here gives it
* for the table's own key: that partition's items only, which are the only ones moto keeps;
* for an index: the items that hold the asked partition key value (dynamo_indexes.py), or every
  item when the index map cannot say; unsorted either way, as moto filters them and sorts what it
  keeps by the index's keys.
An index query's partition, once moto has sorted it, is kept until the table's index map moves on
(any write to the table), so the next page of the same query does not sort it again: paging an
event's 100,000 registrations (the offline bundle) sorted all of them for every 1 MB page.
Everything else that reads ``all_items`` (Scan and its pagination) still gets moto's sorted list;
the snapshot and the TTL sweep, which need no order, read ``stored_items`` instead. The server
runs one request at a time (dynamo_server.py's lock), so the marker on the table cannot leak into
another request.
"""

import inspect
from typing import Any

from moto.dynamodb.models.table import Table

from devstack import dynamo_indexes
from devstack.dynamo_items import stored_items

_moto_query = Table.query
_moto_all_items = Table.all_items
_moto_sorted_items = Table.sorted_items
_SCOPE = "_kapi_query_scope"
_SORT_KEY = "_kapi_sort_key"  # what the running index query's sorted partition would be kept under
_SORTED = "_kapi_sorted"      # (that key, the sorted items) of the last index query
_SIGNATURE = inspect.signature(_moto_query)


def query(table: Table, *args: Any, **kwargs: Any) -> Any:
    asked = _SIGNATURE.bind(table, *args, **kwargs).arguments
    index_name = asked.get("index_name")
    if index_name:
        found = dynamo_indexes.partition(table, index_name, asked.get("hash_key_conditions"))
        scope = stored_items(table) if found is None else found
        mapped = dynamo_indexes.state(table)
        if found is not None and mapped is not None:
            setattr(table, _SORT_KEY, (index_name, repr(asked.get("hash_key_conditions")),
                                       repr(asked.get("range_key_conditions")), mapped, len(found)))
    else:
        scope = _partition(table, asked["hash_key"])
    setattr(table, _SCOPE, scope)
    try:
        return _moto_query(table, *args, **kwargs)
    finally:
        delattr(table, _SCOPE)
        if hasattr(table, _SORT_KEY):
            delattr(table, _SORT_KEY)


def sorted_items(table: Table, hash_key_attrs: list[str], range_key_attrs: list[Any], items: list[Any]) -> list[Any]:
    """moto's sort of an index partition, kept for the next query of the same partition while no write
    has moved the table's index map (a copy: moto reverses it for a backwards query)."""
    key = getattr(table, _SORT_KEY, None)
    if key is None:
        return _moto_sorted_items(table, hash_key_attrs, range_key_attrs, items)
    key = (*key, tuple(hash_key_attrs), tuple(range_key_attrs), len(items))
    kept = getattr(table, _SORTED, None)
    if kept is None or kept[0] != key:
        kept = (key, list(_moto_sorted_items(table, hash_key_attrs, range_key_attrs, items)))
        setattr(table, _SORTED, kept)
    return list(kept[1])


def all_items(table: Table) -> Any:
    scope = getattr(table, _SCOPE, None)
    return _moto_all_items(table) if scope is None else scope


def _partition(table: Table, hash_key: Any) -> list[Any]:
    stored = table.items.get(hash_key)
    if table.range_key_attr is None:
        return [] if stored is None else [stored]
    return list(stored.values()) if stored else []


def install() -> None:
    Table.query = query
    Table.all_items = all_items
    Table.sorted_items = sorted_items
