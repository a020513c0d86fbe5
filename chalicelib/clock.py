"""Time in one place: UTC now, ISO 8601 with offset in and out."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """ISO 8601 with offset and millisecond precision; sorts lexically when all values are UTC."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def parse_iso(value: str) -> datetime:
    """Parse ISO 8601 that carries an offset; naive times are ambiguous across İzmir and Baku."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("time must include an offset, e.g. 2026-05-19T18:00:00+03:00")
    return moment
