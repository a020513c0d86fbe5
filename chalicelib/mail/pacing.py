"""Sending at the account's own pace (see `quota` for the account's limits): one pacer every consumer
draws from.

Several consumers send at once: the outbox stream handler's concurrent Lambda invocations, the
retry schedule, and the local run's delivery threads. They share the rate through one item in the
counters table, `pace#mail`, that holds the time the next send slot starts (the generic cell rate
algorithm): a consumer reserves a few slots with one conditional UpdateItem (the condition is that
nobody moved the time since it last saw it; if someone did, it reads the item and tries again) and
sends at those times. The account's rate is therefore kept across every Lambda instance and thread
without reserved concurrency, at one write per few emails.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from chalicelib.storage.tables import Tables

PACE_KEY = "pace#mail"
_MICROS = 1_000_000


class SharedPacer:
    """Send slots `1/rate` apart, reserved from the shared `pace#mail` item `grant` at a time."""

    def __init__(self, db: Tables, rate: float, key: str = PACE_KEY, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate = rate
        self._db = db
        self._key, self._clock, self._sleep = key, clock, sleep
        self._interval = round(_MICROS / rate)
        self._grant = max(1, min(10, int(rate // 4)))  # a quarter second of slots per write
        self._slots: deque[int] = deque()
        self._seen: int | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller's send slot has come. Slots reserved earlier and left unused until
        they passed are dropped: spent now, they would go out at once, on top of the slots other
        consumers reserved since."""
        with self._lock:
            now = int(self._clock() * _MICROS)
            while self._slots and self._slots[0] < now:
                self._slots.popleft()
            if not self._slots:
                self._slots.extend(self._reserve())
            slot = self._slots.popleft()
        delay = slot / _MICROS - self._clock()
        if delay > 0:
            self._sleep(delay)

    def _reserve(self) -> list[int]:
        table = self._db.Counter.Meta.table_name
        for _ in range(50):
            now = int(self._clock() * _MICROS)
            start = max(now, self._seen or 0)
            end = start + self._grant * self._interval
            condition = ("attribute_not_exists(next_at)" if self._seen is None else "next_at = :seen")
            values = {":end": {"N": str(end)}}
            if self._seen is not None:
                values[":seen"] = {"N": str(self._seen)}
            try:
                self._db.connection.client.update_item(
                    TableName=table, Key={"pk": {"S": self._key}}, UpdateExpression="SET next_at = :end",
                    ConditionExpression=condition, ExpressionAttributeValues=values)
            except self._db.connection.client.exceptions.ConditionalCheckFailedException:
                self._seen = self._stored()  # another consumer reserved meanwhile
                continue
            self._seen = end
            return [start + n * self._interval for n in range(self._grant)]
        raise RuntimeError("could not reserve a send slot")  # fifty consumers in a row moved it

    def _stored(self) -> int | None:
        item = self._db.connection.client.get_item(TableName=self._db.Counter.Meta.table_name,
                                                   Key={"pk": {"S": self._key}},
                                            ConsistentRead=True).get("Item")
        return int(item["next_at"]["N"]) if item and "next_at" in item else None
