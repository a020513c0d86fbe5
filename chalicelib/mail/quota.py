"""The sending account's limits: how many emails a second, and how many a day.

SES answers a send over the account's rate with a throttling error and refuses everything once the
day's quota is used (SPEC §11; sandbox: 1 a second, 200 a day). Its limits are read from the account
(`GetSendQuota`: MaxSendRate, Max24HourSend, SentLast24Hours), at most once a minute per process.
Other transports have the limits the deployment configures (KAPI_MAIL_RATE, KAPI_MAIL_DAILY).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Quota:
    """How fast and how much the account may send; None = no limit."""
    max_per_second: float | None = None
    max_per_day: int | None = None
    sent_last_day: int = 0

    def exhausted(self) -> bool:
        return self.max_per_day is not None and self.sent_last_day >= self.max_per_day


def ses_quota(client: Any) -> Quota:
    """The SES account's limits (Max24HourSend is -1 on an unlimited account)."""
    answer = client.get_send_quota()
    per_day = int(answer["Max24HourSend"])
    return Quota(float(answer["MaxSendRate"]) or None, per_day if per_day >= 0 else None,
                 int(answer["SentLast24Hours"]))


class CachedQuota:
    """A quota source read again once `seconds` have passed (the quota moves slowly)."""

    def __init__(self, read: Callable[[], Quota], seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self._read, self._seconds, self._clock = read, seconds, clock
        self._value: Quota | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> Quota:
        with self._lock:
            if self._value is None or self._clock() - self._read_at >= self._seconds:
                self._value, self._read_at = self._read(), self._clock()
            return self._value
