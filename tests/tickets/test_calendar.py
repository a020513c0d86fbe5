from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from chalicelib.tickets.calendar import event_ics

EVENT_URL = "https://kapi.example/e/izmir-baku-40-gala"  # the event page: no secret in a calendar


def _parse(ics):
    calendar = icalendar.Calendar.from_ical(ics)
    (entry,) = calendar.walk("VEVENT")
    return calendar, entry


def test_the_ics_parses_back_with_the_event_in_its_own_time_zone(event, registration_id):
    calendar, entry = _parse(event_ics(event, registration_id, EVENT_URL, "tr"))

    assert calendar["METHOD"] == "PUBLISH"
    assert str(entry["UID"]) == f"{registration_id}@kapi"
    istanbul = ZoneInfo("Europe/Istanbul")
    assert entry.start == datetime(2026, 6, 12, 19, 0, tzinfo=istanbul)
    assert entry.end == datetime(2026, 6, 12, 23, 30, tzinfo=istanbul)
    assert entry["DTSTART"].params["TZID"] == "Europe/Istanbul"
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Istanbul"]
    assert str(entry["URL"]) == EVENT_URL


def test_turkish_and_azerbaijani_letters_survive(event, registration_id):
    _, turkish = _parse(event_ics(event, registration_id, EVENT_URL, "tr"))
    _, azerbaijani = _parse(event_ics(event, registration_id, EVENT_URL, "az"))

    assert str(turkish["SUMMARY"]) == "İzmir–Bakü Kardeşlik Gecesi"
    assert str(turkish["LOCATION"]) == "Ahmed Adnan Saygun Sanat Merkezi, İzmir"
    assert str(turkish["DESCRIPTION"]) == f"Şiir, ışık, müzik ve dağ havası\n\nEtkinlik sayfası: {EVENT_URL}"
    assert str(azerbaijani["SUMMARY"]) == "İzmir–Bakı Qardaşlıq Gecəsi"
    assert str(azerbaijani["DESCRIPTION"]).startswith("Şeir, işıq və musiqi: Əziz dostlar üçün")
    for letter in "İışğəƏ":
        assert letter in str(turkish["SUMMARY"]) + str(turkish["DESCRIPTION"]) + str(azerbaijani["SUMMARY"]) + str(
            azerbaijani["DESCRIPTION"]
        )


def test_a_language_the_event_lacks_falls_back_to_one_it_has(event, registration_id):
    _, entry = _parse(event_ics(event, registration_id, EVENT_URL, "en"))

    assert str(entry["SUMMARY"]) == "İzmir–Bakü Kardeşlik Gecesi"  # no English name: en → tr
    assert str(entry["DESCRIPTION"]).endswith(f"Event page: {EVENT_URL}")


def test_an_event_in_baku_written_with_another_offset_is_shown_in_baku_time(event, registration_id):
    baku_event = {**event, "timezone": "Asia/Baku", "starts_at": "2026-09-01T14:00:00Z", "ends_at": "2026-09-01T16:00:00+00:00"}
    calendar, entry = _parse(event_ics(baku_event, registration_id, EVENT_URL, "az"))

    assert entry.start == datetime(2026, 9, 1, 18, 0, tzinfo=ZoneInfo("Asia/Baku"))
    assert entry["DTSTART"].params["TZID"] == "Asia/Baku"
    assert [tz.tz_name for tz in calendar.timezones] == ["Asia/Baku"]
