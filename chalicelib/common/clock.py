"""Time in one place: UTC now, ISO 8601 with offset in and out."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

# Real UTC offsets run from -12:00 to +14:00; Python accepts up to ±23:59.
MAX_OFFSET = timedelta(hours=14)
# RFC 3339's profile of ISO 8601, which the OpenAPI document promises (`format: date-time`); Python
# alone would also take week dates, basic format and a space for the T.
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:[Zz]|[+-]\d\d:\d\d)?", re.ASCII)


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """ISO 8601 with offset and millisecond precision; sorts lexically when all values are UTC."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def parse_iso(value: str) -> datetime:
    """Parse ISO 8601 that carries an offset; naive times are ambiguous across İzmir and Baku.

    The moment must also exist in UTC: `0001-01-01T00:30:00+01:00` parses, but converting it (for
    a sort key, an hour bucket, a comparison) overflows, so it is refused here, as bad input.
    """
    if not _RFC3339.fullmatch(value):
        raise ValueError("write it as 2026-05-19T18:00:00+03:00")
    moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("time must include an offset, e.g. 2026-05-19T18:00:00+03:00")
    if abs(moment.utcoffset()) > MAX_OFFSET:  # type: ignore[arg-type]  # tzinfo checked above
        raise ValueError("the offset must lie between -14:00 and +14:00")
    try:
        moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("out of range") from None
    return moment
