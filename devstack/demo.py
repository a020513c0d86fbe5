"""A demo event so a fresh local run has something to register for (skip with KAPI_DEMO=0)."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from chalicelib.common import clock
from chalicelib.common.errors import Conflict
from chalicelib.events import events
from chalicelib.storage.tables import Tables

DEMO_ID = "izmir-baku-festival"


def demo_event() -> dict:
    local = (clock.now() + timedelta(days=30)).astimezone(ZoneInfo("Europe/Istanbul"))
    starts = local.replace(hour=15, minute=0, second=0, microsecond=0)
    return {
        "id": DEMO_ID,
        "name": {"tr": "İzmir–Bakü Kardeş Şehir Festivali", "az": "İzmir–Bakı Qardaş Şəhərlər Festivalı",
                 "en": "İzmir–Baku Sister Cities Festival"},
        "description": {"tr": "Kardeş şehir protokolünün 40. yılı: müzik, dans ve lezzetler.",
                        "az": "Qardaş şəhər protokolunun 40 illiyi: musiqi, rəqs və ləzzətlər.",
                        "en": "Forty years of the sister-city protocol: music, dance and food."},
        "venue": "Kültürpark, İzmir",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=8)).isoformat(),
        "timezone": "Europe/Istanbul",
        "languages": ["tr", "az", "en"],
        "status": "published",
        "capacity": 500,
        "waitlist": True,
        "ticket_types": [
            {"id": "general", "name": {"tr": "Genel giriş", "az": "Ümumi giriş", "en": "General admission"}},
            {"id": "volunteer", "name": {"tr": "Gönüllü", "az": "Könüllü", "en": "Volunteer"}, "capacity": 50},
        ],
        "form": {  # labels in three languages, and a question asked only of those it concerns
            "type": "object",
            "properties": {
                "city": {"type": "string", "title": "City", "maxLength": 100,
                         "x-kapi-labels": {"tr": "Şehir", "az": "Şəhər", "en": "City"}},
                "youth_programme": {"type": "boolean", "title": "Interested in the youth programme",
                                    "x-kapi-labels": {"tr": "Gençlik programıyla ilgileniyorum",
                                                      "az": "Gənclik proqramı ilə maraqlanıram",
                                                      "en": "I am interested in the youth programme"}},
                "age_group": {"type": "string", "title": "Age group", "enum": ["15–18", "19–24", "25–30"],
                              "x-kapi-labels": {"tr": "Yaş grubu", "az": "Yaş qrupu", "en": "Age group"}},
            },
            "if": {"properties": {"youth_programme": {"const": True}}, "required": ["youth_programme"]},
            "then": {"required": ["age_group"]},
            "additionalProperties": False,
        },
    }


def seed(db: Tables) -> None:
    """Create the demo event, or, seeded by an earlier run that has since passed it, move it ahead
    again: a data dir kept for months must not greet its user with a closed event."""
    try:
        events.create(db, demo_event())
    except Conflict:
        if clock.parse_iso(events.load(db, DEMO_ID)["starts_at"]) <= clock.now():
            fresh = demo_event()
            events.patch(db, DEMO_ID, {"starts_at": fresh["starts_at"], "ends_at": fresh["ends_at"]})
