"""One TransactWriteItems call with named parts, so a cancelled transaction says which condition failed.

pynamodb sends condition checks, deletes, puts and updates in that order whatever order they were
added in, and reports cancellation reasons by position. Recording each part under a label and
replaying them in pynamodb's order lets callers ask `failed == {"capacity"}` instead of counting.
DynamoDB cancels a transaction that collides with another in flight (TransactionConflict); that is
retried here a bounded number of times, because the caller cannot do anything smarter.
"""
from __future__ import annotations

import random
import time
from typing import Any, Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ServiceUnavailable
from chalicelib.storage.connection import connection

_ORDER = ("check", "delete", "put", "update")
_MAX_CONFLICT_RETRIES = 6


class ConditionsFailed(Exception):
    """The transaction was cancelled because the named parts' conditions did not hold."""

    def __init__(self, labels: set[str]):
        super().__init__(", ".join(sorted(labels)))
        self.labels = labels


class Transaction:
    def __init__(self) -> None:
        self._parts: dict[str, list[tuple[str, Callable[[TransactWrite], None]]]] = {k: [] for k in _ORDER}

    def put(self, label: str, model: Any, condition: Any = None) -> "Transaction":
        self._parts["put"].append((label, lambda tx: tx.save(model, condition=condition)))
        return self

    def update(self, label: str, model: Any, actions: list, condition: Any = None) -> "Transaction":
        self._parts["update"].append(
            (label, lambda tx: tx.update(model, actions=actions, condition=condition)))
        return self

    def delete(self, label: str, model: Any, condition: Any = None) -> "Transaction":
        self._parts["delete"].append((label, lambda tx: tx.delete(model, condition=condition)))
        return self

    def check(self, label: str, model_cls: Any, hash_key: Any, condition: Any) -> "Transaction":
        self._parts["check"].append(
            (label, lambda tx: tx.condition_check(model_cls, hash_key, condition=condition)))
        return self

    def __len__(self) -> int:
        return sum(len(parts) for parts in self._parts.values())

    def commit(self) -> None:
        labels = [label for kind in _ORDER for label, _ in self._parts[kind]]
        for attempt in range(_MAX_CONFLICT_RETRIES):
            try:
                with TransactWrite(connection=connection()) as tx:
                    for kind in _ORDER:
                        for _, add in self._parts[kind]:
                            add(tx)
                return
            except TransactWriteError as error:
                reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
                failed = {label for label, code in zip(labels, reasons) if code == "ConditionalCheckFailed"}
                if failed:
                    raise ConditionsFailed(failed) from error
                if not _is_conflict(error, reasons):
                    raise
                time.sleep(random.uniform(0, 0.02 * 2 ** attempt))
        raise ServiceUnavailable("The store is busy; please retry.")


def _is_conflict(error: TransactWriteError, reasons: list[str | None]) -> bool:
    return (error.cause_response_code == "TransactionConflictException"
            or "TransactionConflict" in reasons)
