"""One low-level pynamodb connection (one botocore client) per process, for what models cannot say:
transactions and items with dynamic attribute names."""
from __future__ import annotations

import functools

from pynamodb.connection import Connection

from chalicelib.common.config import settings


@functools.lru_cache(maxsize=1)
def connection() -> Connection:
    return Connection(region=settings().region)
