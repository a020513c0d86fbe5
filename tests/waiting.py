"""Waiting, with a bound, for what happens in the background: the local run's workers, an index
that lags its table, the TTL sweep, a transaction the fault mode holds in flight. A test that waits
this way fails with a message instead of hanging, and asserts on what it saw last."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def poll(read: Callable[[], T], done: Callable[[T], object], timeout: float, interval: float = 0.2) -> T:
    """`read()` every `interval` seconds until `done` holds for its value or `timeout` seconds have
    passed; the last value read either way, for the caller's assertion."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(interval)
        value = read()
    return value


def eventually(what: str, check: Callable[[], bool], timeout: float) -> None:
    """Wait until `check()` holds; fail naming `what` if it does not within `timeout` seconds."""
    if not poll(check, bool, timeout):
        raise AssertionError(f"not within {timeout} s: {what}")
