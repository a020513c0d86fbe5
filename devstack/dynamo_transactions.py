"""TransactWriteItems for the local DynamoDB server, with an item-level undo log.

Why this replaces moto's own ``DynamoDBBackend.transact_write_items`` (moto 5.2.5):
moto deep-copies every table a transaction touches before applying it, so one
transaction costs time and memory proportional to the *table size* (about 200 ms
at 5,000 items, see notes/local-dynamodb.md section 5), and on cancellation it
swaps the copy back in, silently discarding any write that landed in between.

This version remembers only the items the transaction is about to change (a deep
copy of each current item, or None when the item does not exist yet) and, if the
transaction fails, puts exactly those items back. The cost is O(items touched).
Restoring is safe because the server runs one request at a time (see the global
lock in dynamo_server.py), so nothing else can have changed those items meanwhile.

Everything else follows moto's loop on purpose so that validation behaves the same:
more than 100 items, two operations in one element, or two operations on one item
raise ValidationException; condition failures are reported in CancellationReasons
in request order, with the old item when ReturnValuesOnConditionCheckFailure=ALL_OLD.
"""

import copy
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from devstack.dynamo_items import place_item

_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}


def install() -> None:
    """Replace moto's implementation for every DynamoDB backend in this process."""
    DynamoDBBackend.transact_write_items = transact_write_items


class UndoLog:
    """The before-images of the items one transaction writes, and how to put them back."""

    def __init__(self) -> None:
        self._items: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
        self._stream_lengths: dict[int, tuple[Any, int]] = {}

    def remember(self, table: Table, hash_value: DynamoType,
                 range_value: DynamoType | None, current: Item | None) -> None:
        # UpdateItem changes the stored Item in place, hence the copy.
        self._items.append((table, hash_value, range_value, copy.deepcopy(current)))
        shard = table.stream_shard
        if shard is not None and id(shard) not in self._stream_lengths:
            self._stream_lengths[id(shard)] = (shard, len(shard.items))

    def restore(self) -> None:
        for table, hash_value, range_value, item in reversed(self._items):
            place_item(table, hash_value, range_value, item)
        # A cancelled transaction must not show up in a table's stream either.
        for shard, length in self._stream_lengths.values():
            del shard.items[length:]


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:  # noqa: C901
    # One branch per rule DynamoDB checks, in the order it checks them: split, it would read as scattered.
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = UndoLog()
    target_items: set[tuple[str, str]] = set()
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    try:
        for element in transact_items:
            if len(element) > 1:
                raise TransactWriteSingleOpException
            original_item = None
            try:
                op_type, op = next(iter(element.items()))
                if op_type not in _OPERATIONS:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                condition = op.get("ConditionExpression")
                names = op.get("ExpressionAttributeNames")
                values = op.get("ExpressionAttributeValues")
                if op_type == "Put":
                    table = self.get_table(table_name)
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                else:
                    key = op["Key"]

                unique_key = (str(table_name), str(dict(sorted(key.items()))))
                if unique_key in target_items:
                    raise MultipleTransactionsException()
                target_items.add(unique_key)

                current = self.get_item(table_name, key)
                if condition is not None:
                    if not get_filter_expression(condition, names, values).expr(current):
                        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                            original_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original_item)

                if op_type != "ConditionCheck":
                    table = self.get_table(table_name)
                    undo.remember(table, *self.get_keys_value(table, key), current)
                if op_type == "Put":
                    self.put_item(table_name, op["Item"], condition_expression=condition,
                                  expression_attribute_names=names,
                                  expression_attribute_values=values)
                elif op_type == "Delete":
                    self.delete_item(table_name, key, condition_expression=condition,
                                     expression_attribute_names=names,
                                     expression_attribute_values=values)
                elif op_type == "Update":
                    self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                                     condition_expression=condition,
                                     expression_attribute_names=names,
                                     expression_attribute_values=values)
                errors.append((None, None, None))
            except MockValidationException:
                raise
            except ConditionalCheckFailed as e:
                errors.append(("ConditionalCheckFailed", str(e.message), original_item))
            except Exception as e:  # moto reports any other failure as a cancellation reason
                errors.append((type(e).__name__, str(e), original_item))
    except Exception:
        undo.restore()
        raise
    if any(code is not None for code, _, _ in errors):
        undo.restore()
        raise TransactionCanceledException(errors)
