"""chalicelib/organiser/retention.py: which events are due for erasure (`ends_at + retention_days`),
and which the hourly run even looks at. `due` is pure; `started_events` reads the store.

The choice part of tests/organiser/test_erasure.py::test_retention_erases_an_event_long_over_and_marks_it
(the fresh event left alone) is covered here; that test still proves what erasing removes.
"""
from __future__ import annotations

from datetime import timedelta

from chalicelib.common import clock
from chalicelib.organiser import retention
from chalicelib.storage.models import Event
from tests import dates
from tests.unit.conftest import event

BAKU = "Asia/Baku"


def ended(days_ago: float, retention_days: int, zone: str = dates.ISTANBUL) -> dict:
    end = dates.now(zone) - timedelta(days=days_ago)
    return event(starts_at=dates.iso(end - timedelta(hours=8)), ends_at=dates.iso(end), timezone=zone,
                 retention_days=retention_days)


def test_an_event_is_due_once_its_retention_has_run_out_since_it_ended():
    now = clock.now()
    assert retention.due(ended(31, 30), now)
    assert not retention.due(ended(29, 30), now)
    assert not retention.due(event(retention_days=1), now)  # two months ahead


def test_due_exactly_at_the_end_of_the_retention_period_not_a_second_before():
    finished = ended(10, 7)
    at = clock.parse_iso(finished["ends_at"]) + timedelta(days=7)
    assert retention.due(finished, at)
    assert not retention.due(finished, at - timedelta(seconds=1))


def test_the_default_retention_is_half_a_year():
    assert event()["retention_days"] == 180
    assert not retention.due(ended(179, 180), clock.now()) and retention.due(ended(181, 180), clock.now())


def test_the_due_time_is_a_moment_whatever_offset_the_organiser_wrote():
    baku = ended(10, 7, BAKU)  # +04:00 against the run's UTC
    at = clock.parse_iso(baku["ends_at"]) + timedelta(days=7)
    assert retention.due(baku, at.astimezone(clock.now().tzinfo))
    assert not retention.due(baku, (at - timedelta(minutes=1)).astimezone(clock.now().tzinfo))


def test_the_run_looks_only_at_started_events_not_yet_erased(db, new_event):
    past = {"starts_at": dates.day_at(-40, "10:00"), "ends_at": dates.day_at(-40, "18:00")}
    over = new_event(**past, retention_days=30)
    closed_over = new_event(**past, status="closed")
    coming = new_event()
    erased = new_event(**past)
    db.Event(erased["id"]).update(actions=[Event.personal_data_erased_at.set(clock.iso(clock.now()))])

    candidates = {record.id for record in retention.started_events(db, clock.now())}

    assert {over["id"], closed_over["id"]} <= candidates
    assert coming["id"] not in candidates and erased["id"] not in candidates
