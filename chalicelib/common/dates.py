"""Event times as people read them, e.g. "12 Haziran 2026, 19:00–22:00 (GMT+3)".

Times are shown in the event's own time zone with its UTC offset. A guest from Baku (GMT+4)
then knows which clock an İzmir event (GMT+3) runs on. Month names come from the catalogues.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.common.clock import parse_iso
from chalicelib.i18n import translate


def format_event_time(starts_at: str, ends_at: str, timezone: str, language: str | None) -> str:
    zone = ZoneInfo(timezone)
    start = parse_iso(starts_at).astimezone(zone)
    end = parse_iso(ends_at).astimezone(zone)
    times = {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "zone": _gmt_offset(start)}
    if start.date() == end.date():
        return translate("date.same_day", language, date=_date(start, language), **times)
    return translate(
        "date.range", language, start_date=_date(start, language), end_date=_date(end, language), **times
    )


def _date(moment: datetime, language: str | None) -> str:
    month = translate(f"date.month.{moment.month}", language)
    return translate("date.date", language, day=moment.day, month=month, year=moment.year)


def _gmt_offset(moment: datetime) -> str:
    minutes = int(moment.utcoffset().total_seconds()) // 60  # type: ignore[union-attr]  # an aware moment
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")
