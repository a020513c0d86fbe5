"""A small per-process cache with expiry, for records read on every request (tokens, events, lists).

A Lambda instance serves one request at a time but lives for minutes; keeping such records for a few
seconds saves a read per request. `KAPI_CACHE_SECONDS=0` turns it off.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from chalicelib.common.config import settings


class TTLCache:
    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get_or_load(self, key: Any, load: Callable[[Any], Any]) -> Any:
        ttl = settings().cache_seconds
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load(key)
        if ttl > 0:
            with self._lock:
                if len(self._entries) >= self._max_entries:
                    self._entries.clear()
                self._entries[key] = (now + ttl, value)
        return value

    def forget(self, key: Any) -> None:
        with self._lock:
            self._entries.pop(key, None)
