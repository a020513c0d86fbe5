"""chalicelib/events/events.py: when registration is open, and an event's own validation. Pure.

Makes the choice part of tests/api/test_registration.py::test_closed_window_draft_and_cancelled_events and
tests/api/test_events.py::test_semantic_event_errors / ::test_patch_merges_and_revalidates (merge rules)
redundant; those still prove the HTTP answers.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.common import clock
from chalicelib.common.errors import ValidationError
from chalicelib.events import events
from tests import dates
from tests.unit.conftest import event, event_doc


def test_registration_is_open_from_its_opening_until_its_closing_or_the_events_end():
    window = event(registration_opens_at=dates.from_now(days=-1), registration_closes_at=dates.from_now(days=1))
    now = clock.now()
    assert events.registration_open(window, now)
    assert events.registration_open(window, clock.parse_iso(window["registration_opens_at"]))  # opening included
    assert not events.registration_open(window, clock.parse_iso(window["registration_closes_at"]))  # closing not
    assert not events.registration_open(window, now - timedelta(days=2))
    open_ended = event()
    assert events.registration_open(open_ended, clock.parse_iso(open_ended["ends_at"]) - timedelta(seconds=1))
    assert not events.registration_open(open_ended, clock.parse_iso(open_ended["ends_at"]))


@pytest.mark.parametrize("status,is_open", [("published", True), ("draft", False), ("closed", False),
                                            ("cancelled", False)])
def test_only_a_published_event_takes_registrations(status, is_open):
    assert events.registration_open(event(status=status)) is is_open


def test_defaults_are_filled_in():
    filled = event(name={"az": "Forum", "en": "Forum"})
    assert filled["ticket_types"] == [events.DEFAULT_TICKET_TYPE] and filled["languages"] == ["az", "en"]
    assert (filled["waitlist"], filled["requires_approval"], filled["capacity"]) == (False, False, None)


@pytest.mark.parametrize("change,field,message", [
    ({"ends_at": dates.day_at(60, "09:00")}, "ends_at", "error.time.order"),
    ({"registration_opens_at": dates.from_now(days=2), "registration_closes_at": dates.from_now(days=1)},
     "registration_closes_at", "error.time.order"),
    ({"timezone": "Europe/Izmir"}, "timezone", "error.timezone.invalid"),
    ({"starts_at": "2026-13-01T10:00:00+03:00"}, "starts_at", "error.time.invalid"),
    ({"starts_at": dates.iso(dates.now().replace(tzinfo=None))}, "starts_at", "error.time.invalid"),  # no offset
    ({"ends_at": dates.from_now(days=11 * 366)}, "ends_at", "error.time.range"),
    ({"ticket_types": [{"id": "a", "name": {"en": "A"}}, {"id": "a", "name": {"en": "B"}}]}, "ticket_types",
     "error.ticket_types.unique"),
    ({"form": {"type": "object", "patternProperties": {}}}, "form.patternProperties", "error.form_schema.keyword"),
])
def test_an_event_that_does_not_add_up_is_refused_naming_the_field(change, field, message):
    with pytest.raises(ValidationError) as refused:
        events.validate_event(event_doc(**change))
    assert (field, message) in [(d.field, d.message) for d in refused.value.details]


def test_merge_patch_follows_rfc_7396():
    target = {"name": {"tr": "Forum", "en": "Forum"}, "capacity": 10, "venue": "İzmir"}
    assert events.merge_patch(target, {"name": {"en": None, "az": "Forum"}, "capacity": None}) == {
        "name": {"tr": "Forum", "az": "Forum"}, "venue": "İzmir"}
    assert events.merge_patch(target, {"ticket_types": [{"id": "x"}]})["ticket_types"] == [{"id": "x"}]
    assert target["capacity"] == 10  # the stored event is not changed in place
