"""Index lag for the local DynamoDB server: queries on a secondary index see the table as it was.

DynamoDB updates global secondary indexes asynchronously, so a Query on an index can miss a write
that was acknowledged a moment ago (or still see the item as it was). moto answers index queries
from the table itself. With a lag of N ms, the server keeps the before-image of every item written
in the last N ms; an index query swaps the oldest of those images in, runs, and swaps the current
items back. All under the server's lock, so no other request ever sees the old state.
"""

import copy
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from devstack import dynamo_indexes
from devstack.dynamo_items import Touch, current_item, find_table, key_values, place_item

INDEX_READS = frozenset({"Query", "Scan"})


@dataclass(frozen=True)
class _Image:
    moment: float
    table: Table
    hash_value: DynamoType
    range_value: DynamoType | None
    item: Item | None  # before the write; None when the item did not exist


class IndexLag:
    def __init__(self) -> None:
        self._images: deque[_Image] = deque()

    def before_write(self, touches: list[Touch]) -> list[_Image]:
        """Copies of the items a write is about to change; kept by ``written`` if it succeeds."""
        images = []
        for touch in touches:
            table = find_table(touch.table) if touch.units else None
            if table is not None:
                hash_value, range_value = key_values(table, touch.key)
                images.append(_Image(0.0, table, hash_value, range_value,
                                     copy.deepcopy(current_item(table, hash_value, range_value))))
        return images

    def written(self, images: list[_Image], lag_seconds: float) -> None:
        now = time.monotonic()
        self._images.extend(_Image(now, i.table, i.hash_value, i.range_value, i.item) for i in images)
        self._forget(now - lag_seconds)

    @contextmanager
    def as_of(self, lag_seconds: float) -> Iterator[None]:
        """Within the block, every item written in the last ``lag_seconds`` is back as it was then."""
        self._forget(time.monotonic() - lag_seconds)
        oldest: dict[tuple[int, DynamoType, DynamoType | None], _Image] = {}
        for image in self._images:
            oldest.setdefault((id(image.table), image.hash_value, image.range_value), image)
        now = [(i, current_item(i.table, i.hash_value, i.range_value)) for i in oldest.values()]
        for image, _ in now:
            _place(image, image.item)
        try:
            yield
        finally:
            for image, item in reversed(now):
                _place(image, item)

    def _forget(self, before: float) -> None:
        while self._images and self._images[0].moment <= before:
            self._images.popleft()


def _place(image: _Image, item: Item | None) -> None:
    """Put `item` under the image's key and tell the index map, which then answers for that state."""
    place_item(image.table, image.hash_value, image.range_value, item)
    dynamo_indexes.refresh(image.table, (image.hash_value, image.range_value))


def reads_index(operation: str, body: dict[str, Any] | None) -> bool:
    return operation in INDEX_READS and bool(body and body.get("IndexName"))
