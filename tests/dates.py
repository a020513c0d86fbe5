"""Times for tests, always derived from the clock (README, "The date rule for tests").

A fixed day in a test is a test that starts failing on a known date: a registration window closes,
an event ends, a retention period runs out. Everything here is computed from now, so the suite
passes in any year, and under `faketime` (tests/test_any_date.py runs part of it a year and five
years ahead).
"""
from __future__ import annotations

import glob
import os
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

ISTANBUL = "Europe/Istanbul"
# Debian's `faketime` package; ld.so expands $LIB to the architecture's library folder.
FAKETIME_LIBRARY = "/usr/$LIB/faketime/libfaketime.so.1"
FAKETIME_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "faketime")


def now(zone: str = ISTANBUL) -> datetime:
    return datetime.now(ZoneInfo(zone))


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def from_now(zone: str = ISTANBUL, **delta: float) -> str:
    """`from_now(days=-3)`: that moment as ISO 8601 with the zone's offset."""
    return iso(now(zone) + timedelta(**delta))


def day_at(days: int, hhmm: str, zone: str = ISTANBUL) -> str:
    """`hh:mm` (wall clock in `zone`) on the day `days` from today."""
    hour, minute = map(int, hhmm.split(":"))
    day = now(zone) + timedelta(days=days)
    return iso(day.replace(hour=hour, minute=minute, second=0, microsecond=0))


class DoorDay:
    """An event whose doors opened a few hours ago, so that scans made "during" it lie in the past.

    Scans may not be dated in the future (SPEC §7), so a scripted day at the door happens before
    now: `opening` is a whole hour HOURS_AGO hours back (fixed when the day is made, so a test that
    runs across an hour boundary keeps its times), and `at("1:30")` is ninety minutes after it.
    Registrations opened a week before, which is also the earliest a scan of this event may be dated.
    """
    HOURS_AGO = 4

    def __init__(self, zone: str = ISTANBUL) -> None:
        self.zone = zone
        self.opening = now(zone).replace(minute=0, second=0, microsecond=0) - timedelta(hours=self.HOURS_AGO)

    def event_fields(self) -> dict:
        return {"starts_at": iso(self.opening), "ends_at": iso(self.opening + timedelta(hours=12)),
                "registration_opens_at": iso(self.opening - timedelta(days=7)), "timezone": self.zone}

    def moment(self, since_opening: str) -> datetime:
        hours, minutes = map(int, since_opening.split(":"))
        return self.opening + timedelta(hours=hours, minutes=minutes)

    def at(self, since_opening: str) -> str:
        """`h:mm` after the doors opened, as ISO 8601 with the event zone's offset."""
        return iso(self.moment(since_opening))

    def hour(self, hours_since_opening: int) -> str:
        """The arrivals hour `n` hours after opening, as the attendance report names it."""
        return iso(self.opening + timedelta(hours=hours_since_opening))


def faketime_env(days_ahead: int) -> dict[str, str]:
    """Environment for a child process whose calendar runs `days_ahead` days ahead of this process's
    (which may itself run under `faketime -f '+Nd'`): libfaketime, preloaded, reaches every process
    the child starts too. Skips the test where the library is not installed, except in CI."""
    import pytest  # only here: the benchmarks use this module too

    if not glob.glob("/usr/lib/*/faketime/libfaketime.so.1") and not os.environ.get("CI"):
        pytest.skip("libfaketime is not installed (Debian package faketime)")
    offset = re.fullmatch(r"([+-]?\d+)d", os.environ.get("FAKETIME", "+0d").strip())
    if offset is None:
        raise RuntimeError("the suite adds to a FAKETIME offset given in days, e.g. faketime -f '+365d'")
    # Only the calendar moves; tests/faketime/sitecustomize.py says why and what it works around.
    python_path = os.pathsep.join(filter(None, [FAKETIME_SITE, os.environ.get("PYTHONPATH")]))
    return {"LD_PRELOAD": FAKETIME_LIBRARY, "FAKETIME": f"{int(offset.group(1)) + days_ahead:+d}d",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_FORCE_MONOTONIC_FIX": "0", "PYTHONPATH": python_path}
