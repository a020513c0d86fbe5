"""One TransactWriteItems call with named parts, so a cancelled transaction says which condition failed.

pynamodb sends condition checks, deletes, puts and updates in that order whatever order they were
added in, and reports cancellation reasons by position. Recording each part under a label and
replaying them in pynamodb's order lets callers ask `failed == {"capacity"}` instead of counting.
DynamoDB cancels a transaction that collides with another in flight (TransactionConflict) or meets a
throttled item; that is retried (storage/retries.py) a bounded number of times, because the caller
cannot do anything smarter, and then answered 503. A failed condition the caller does not handle is
a 409: the record changed under the request.
"""
from __future__ import annotations

import uuid
from typing import Any, Callable

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.common.errors import Conflict
from chalicelib.storage.retries import with_retries

_ORDER = ("check", "delete", "put", "update")


class ConditionsFailed(Conflict):
    """The transaction was cancelled because the named parts' conditions did not hold.

    Callers turn the labels they expect into their own answers; any other escapes as a 409.
    """

    def __init__(self, labels: set[str]):
        super().__init__("The record changed while it was being written; please retry.")
        self.labels = labels


class Transaction:
    """Built by `Tables.transaction()`, on that stage's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._parts: dict[str, list[tuple[str, Callable[[TransactWrite], None]]]] = {k: [] for k in _ORDER}

    def put(self, label: str, model: Any, condition: Any = None) -> "Transaction":
        self._parts["put"].append((label, lambda tx: tx.save(model, condition=condition)))
        return self

    def update(self, label: str, model: Any, actions: list[Any], condition: Any = None) -> "Transaction":
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
        with_retries(self._commit_once)

    def _commit_once(self) -> None:
        labels = [label for kind in _ORDER for label, _ in self._parts[kind]]
        try:
            # One token per attempt: botocore's own retries of a 5xx resend it, and DynamoDB then
            # does not apply twice a transaction whose first answer was lost.
            with TransactWrite(connection=self._connection, client_request_token=uuid.uuid4().hex) as tx:
                for kind in _ORDER:
                    for _, add in self._parts[kind]:
                        add(tx)
        except TransactWriteError as error:
            reasons = [r.code if r else None for r in (error.cancellation_reasons or [])]
            failed = {label for label, code in zip(labels, reasons) if code == "ConditionalCheckFailed"}
            if failed:
                raise ConditionsFailed(failed) from error
            raise
