"""The ticket's calendar entry (.ics), attached to the ticket email and served by the API.

The times are written in the event's IANA time zone, with a VTIMEZONE for it, rather than in
UTC. A calendar app then shows "19:00 Europe/Istanbul" and keeps the time right if the zone's
rules change before the event. The UID is the registration's, so importing the file again
updates the entry rather than adding a second one. The entry holds no secret (SPEC §16): calendars
get shared and synced, so its link is the event's public page, not the ticket page.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.common.clock import parse_iso
from chalicelib.i18n import localized, translate

PRODUCT_ID = "-//Kapi//Kapi tickets//EN"


def event_ics(event: Mapping[str, Any], registration_id: str, event_url: str, language: str) -> bytes:
    from icalendar import Calendar, Event

    zone = ZoneInfo(event["timezone"])
    start = parse_iso(event["starts_at"]).astimezone(zone)
    end = parse_iso(event["ends_at"]).astimezone(zone)
    description = "\n\n".join(
        text for text in (localized(event.get("description"), language),
                          translate("calendar.event", language, url=event_url)) if text
    )
    entry = Event.new(
        uid=f"{registration_id}@kapi",
        start=start,
        end=end,
        summary=localized(event["name"], language),
        location=event.get("venue") or None,
        url=event_url,
        description=description,
    )
    timezone = _vtimezone(event["timezone"], start.year, end.year)
    ical: bytes = Calendar.new(prodid=PRODUCT_ID, method="PUBLISH", subcomponents=[timezone, entry]).to_ical()
    return ical


@functools.lru_cache(maxsize=32)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Any:
    """The zone's VTIMEZONE for the event's years, not its whole history, which would add kilobytes.

    icalendar derives it by probing the zone's offsets. That takes 10-20 ms for a zone without
    summer time, such as Istanbul or Baku, and icalendar's docs ask callers to cache it. The
    component is only read when a calendar is serialised, so calendars can share it.
    """
    from icalendar import Timezone

    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))
