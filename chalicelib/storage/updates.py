"""UpdateItem that does not read the item back.

pynamodb's `Model.update` asks DynamoDB for the whole updated item (`ReturnValues=ALL_NEW`) to
refresh the instance. Where only the write matters, as when the email pipeline puts a throttled
message back due, that is the item sent back over the wire for nothing, and for the local server a
serialisation it does for every such write.
"""
from __future__ import annotations

from typing import Any


def update(model: Any, hash_key: str, actions: list[Any], condition: Any = None) -> None:
    """`model(hash_key).update(actions, condition)` without the item in the answer, through the
    model's own table connection (which knows the key schema); raises the same `UpdateError`."""
    model._get_connection().update_item(hash_key, actions=actions, condition=condition)
