"""Opt-in fault mode for the local DynamoDB server: the failures real DynamoDB has and moto lacks.

The local server runs one request at a time, so the errors that code written for DynamoDB must
handle never happen against it. This module decides, per request, whether to answer one of them
instead, in the exact shape DynamoDB uses (so botocore and pynamodb parse it as in AWS):

* ``errors``: this fraction of data-plane requests answers HTTP 500 ``InternalServerError``.
* ``throttles``: this fraction answers ``ThrottlingException``.
* ``item_writes_per_second``: each item takes at most this many write units a second (a token
  bucket per item key, one second of burst, at least 2 units; a transactional write costs 2,
  SPEC §11); past it a
  write answers ``ProvisionedThroughputExceededException`` (reason
  ``TableWriteKeyRangeThroughputExceeded``) and a transaction is cancelled with ``ThrottlingError``
  on that item. Real DynamoDB allows about 1,000 units a second per partition.
* ``transaction_ms``: a TransactWriteItems holds its items this long before it commits (the
  server lets other requests run meanwhile). A transaction touching a held item is cancelled with
  ``TransactionConflict`` on that item; a single-item write to one answers
  ``TransactionConflictException``, as in DynamoDB.
* ``conflicts``: this fraction of the transactions that got past all that is cancelled anyway
  with ``TransactionConflict`` on one of its items (a collision with a client we cannot see).
* ``index_lag_ms``: a Query or Scan on a secondary index sees the table as it was this long ago
  (see dynamo_index_lag.py).
* ``seed``: the random draws' seed, for a reproducible sequence of decisions.

Configuration: ``KAPI_DYNAMO_FAULTS="conflicts=0.1,throttles=0.05,errors=0.01,index_lag_ms=200"``
or ``--faults`` with the same text; at run time ``GET``/``PUT /_kapi/faults`` (JSON; a PUT replaces
the whole configuration, and the GET also counts the faults injected so far). Off by default.
"""

import json
import random
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any

from devstack.dynamo_items import TRANSACTIONAL_UNITS, Touch

FAULTS_PATH = "/_kapi/faults"
ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
#: Requests on data; table management (CreateTable, DescribeTable, TTL...) is never disturbed.
DATA_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "TransactWriteItems", "TransactGetItems", "ExecuteStatement",
    "BatchExecuteStatement", "ExecuteTransaction",
})
SINGLE_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
RATES = ("conflicts", "throttles", "errors")

THROTTLED = ("Throughput exceeds the current capacity of your table or index. DynamoDB is "
             "automatically scaling your table or index so please try again shortly. If exceptions "
             "persist, check if you have a hot key: "
             "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html.")
OVER_PROVISIONED = ("The level of configured provisioned throughput for the table was exceeded. "
                    "Consider increasing your provisioning level with the UpdateTable API.")
IN_TRANSACTION = "Transaction is ongoing for the item"


@dataclass(frozen=True)
class FaultConfig:
    conflicts: float = 0.0
    throttles: float = 0.0
    errors: float = 0.0
    transaction_ms: float = 0.0
    item_writes_per_second: float = 0.0
    index_lag_ms: float = 0.0
    seed: int | None = None

    @classmethod
    def parse(cls, text: str) -> "FaultConfig":
        """``"conflicts=0.1,throttles=0.05"``; an empty text is no faults."""
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, equals, value = part.partition("=")
            if not equals:
                raise ValueError(f"fault setting {part!r} is not name=value")
            values[name.strip()] = value.strip()
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "FaultConfig":
        known = {field.name for field in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}; known: {sorted(known)}")
        checked: dict[str, Any] = {}
        for name, value in values.items():
            if name == "seed":
                checked[name] = None if value in (None, "") else int(value)
                continue
            number = float(value)
            if not 0 <= number <= (1 if name in RATES else 3_600_000):
                raise ValueError(f"fault setting {name}={value} is out of range")
            checked[name] = number
        return cls(**checked)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        return ",".join(f"{k}={v:g}" for k, v in self.to_dict().items() if v and k != "seed") or "off"


@dataclass(frozen=True)
class Injected:
    """An error answer in DynamoDB's JSON shape."""

    status: int
    kind: str  # counted under this name in GET /_kapi/faults
    body: dict[str, Any]

    def wsgi(self) -> tuple[str, list[tuple[str, str]], bytes]:
        payload = json.dumps(self.body).encode()
        reason = "Internal Server Error" if self.status == 500 else "Bad Request"
        return (f"{self.status} {reason}",
                [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(payload))),
                 ("x-amzn-RequestId", uuid.uuid4().hex.upper())],
                payload)


def _error(status: int, kind: str, error_type: str, message: str, **extra: Any) -> Injected:
    return Injected(status, kind, {"__type": ERROR_PREFIX + error_type, "message": message, **extra})


def _cancelled(kind: str, reasons: list[tuple[str, str] | None]) -> Injected:
    """TransactionCanceledException: one reason per element, in request order ("None" where fine)."""
    codes = ", ".join(reason[0] if reason else "None" for reason in reasons)
    return Injected(400, kind, {
        "__type": ERROR_PREFIX + "TransactionCanceledException",
        "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        "CancellationReasons": [{"Code": r[0], "Message": r[1]} if r else {"Code": "None"} for r in reasons],
    })


class Faults:
    """The fault mode's state: configuration, random draws, held items, per-item write budgets.

    Every method is called with the server's lock held.
    """

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.injected: Counter[str] = Counter()
        self._held: Counter[tuple[str, str]] = Counter()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)
        self._buckets.clear()

    def report(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "injected": dict(self.injected),
                "in_flight": sum(self._held.values())}

    def admit(self, operation: str, touches: list[Touch], now: float) -> Injected | float:
        """An error to answer instead, or how many seconds the request must hold its items first."""
        fault = self._decide(operation, touches, now) if operation in DATA_OPERATIONS else None
        if fault is not None:
            self.injected[fault.kind] += 1
            return fault
        self._spend(touches, now)
        if operation == "TransactWriteItems" and self.config.transaction_ms:
            self._held.update(touch.identity for touch in touches if touch.table)
            return self.config.transaction_ms / 1000
        return 0.0

    def release(self, touches: list[Touch]) -> None:
        """The held transaction commits now: its items are free for others."""
        self._held.subtract(touch.identity for touch in touches if touch.table)
        self._held += Counter()  # drops the zeros

    def _decide(self, operation: str, touches: list[Touch], now: float) -> Injected | None:
        config = self.config
        if self._draw(config.errors):
            return _error(500, "internal_error", "InternalServerError", "Internal server error")
        if self._draw(config.throttles):
            return _error(400, "throttling", "ThrottlingException", THROTTLED)
        held = [bool(touch.table) and touch.identity in self._held for touch in touches]
        hot = [touch.units > 0 and not self._affordable(touch, now) for touch in touches]
        if operation == "TransactWriteItems":
            if not any(held) and touches and self._draw(config.conflicts):
                held[self._random.randrange(len(touches))] = True
            if any(held):
                return _cancelled("transaction_conflict",
                                  [("TransactionConflict", IN_TRANSACTION) if h else None for h in held])
            if any(hot):
                return _cancelled("item_throttling", [("ThrottlingError", THROTTLED) if h else None for h in hot])
            return None
        if operation in SINGLE_WRITES and any(held):
            return _error(400, "transaction_conflict", "TransactionConflictException", IN_TRANSACTION)
        if any(hot):
            table = touches[hot.index(True)].table
            return _error(400, "item_throttling", "ProvisionedThroughputExceededException", OVER_PROVISIONED,
                          ThrottlingReasons=[{"reason": "TableWriteKeyRangeThroughputExceeded",
                                              "resource": f"arn:aws:dynamodb:local:000000000000:table/{table}"}])
        return None

    def _draw(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    # -- per-item write rate: a token bucket per item, one second's units deep (at least one
    # transactional write's, so that a slow rate still lets every kind of write through) ---------

    def _depth(self) -> float:
        return max(self.config.item_writes_per_second, TRANSACTIONAL_UNITS)

    def _tokens(self, touch: Touch, now: float) -> float:
        rate = self.config.item_writes_per_second
        tokens, since = self._buckets.get(touch.identity, (self._depth(), now))
        return min(self._depth(), tokens + (now - since) * rate)

    def _affordable(self, touch: Touch, now: float) -> bool:
        return not self.config.item_writes_per_second or self._tokens(touch, now) >= touch.units

    def _spend(self, touches: list[Touch], now: float) -> None:
        if not self.config.item_writes_per_second:
            return
        for touch in touches:
            if touch.units:
                self._buckets[touch.identity] = (self._tokens(touch, now) - touch.units, now)
        if len(self._buckets) > 100_000:  # forget items whose bucket has filled up again
            full = [k for k, (tokens, since) in self._buckets.items()
                    if tokens + (now - since) * self.config.item_writes_per_second >= self._depth()]
            for identity in full:
                del self._buckets[identity]
