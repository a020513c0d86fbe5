"""Counts spread over several counter items (shards) and summed on read, so that no single item is
written by every registration or every scan: the generic part of the seat counters
(`events.counters`) and the door counts (`checkin.counts`).

A counter item's attributes have dynamic names (`confirmed__vip`, `arrivals__2026120410`); a change
is a set of ADD actions on one shard, in the same transaction as the write it counts.
"""
from __future__ import annotations

from typing import Any

from pynamodb.expressions.operand import Path

from chalicelib.storage.tables import Tables

_BATCH = 100  # keys per BatchGetItem


def read(db: Tables, groups: dict[str, list[str]]) -> dict[str, list[dict[str, int]]]:
    """The numbers on each counter item of each group (keys in their order; a missing item is {})."""
    wanted = [pk for pks in groups.values() for pk in pks]
    found: dict[str, dict[str, int]] = {}
    table = db.Counter.Meta.table_name
    for start in range(0, len(wanted), _BATCH):
        keys = [{"pk": {"S": pk}} for pk in dict.fromkeys(wanted[start:start + _BATCH])]
        request: dict[str, Any] | None = {table: {"Keys": keys, "ConsistentRead": True}}
        while request:
            answer = db.connection.client.batch_get_item(RequestItems=request)
            for raw in answer["Responses"].get(table, []):
                found[raw["pk"]["S"]] = {name: int(value["N"]) for name, value in raw.items() if "N" in value}
            request = answer.get("UnprocessedKeys") or None
    return {name: [found.get(pk, {}) for pk in pks] for name, pks in groups.items()}


def total(items: list[dict[str, int]]) -> dict[str, int]:
    summed: dict[str, int] = {}
    for numbers in items:
        for name, value in numbers.items():
            summed[name] = summed.get(name, 0) + value
    return summed


def adds(deltas: dict[str, int]) -> list[Any]:
    """ADD actions for the non-zero deltas of a counter item's dynamic attributes."""
    return [Path(name).add(delta) for name, delta in deltas.items() if delta]
