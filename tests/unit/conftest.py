"""Helpers of the unit tier: events and registrations made by calling the domain, never over HTTP."""
from __future__ import annotations

import uuid

import pytest

from chalicelib.events import events
from chalicelib.registration import registering
from tests import dates
from tests.data import registration_body


def event_doc(**overrides) -> dict:
    """A published event two months from today (tests/dates.py), with a unique id; `overrides` win."""
    return {"id": f"unit-{uuid.uuid4().hex[:10]}", "name": {"tr": "Gençlik Forumu", "az": "Gənclik Forumu",
                                                           "en": "Youth Forum"},
            "venue": "Ahmet Adnan Saygun Sanat Merkezi, İzmir", "timezone": dates.ISTANBUL,
            "starts_at": dates.day_at(60, "10:00"), "ends_at": dates.day_at(60, "18:00"),
            "status": "published", **overrides}


def event(**overrides) -> dict:
    """The event as `events.validate_event` completes it (defaults, ticket types, form): no storage."""
    return events.validate_event(event_doc(**overrides))


@pytest.fixture
def new_event(db):
    """`new_event(capacity=2, waitlist=True)`: an event stored through `events.create`."""
    return lambda **overrides: events.create(db, event_doc(**overrides))


@pytest.fixture
def register(db):
    """`register(event_id, **body)`: `registering.register` with a fresh person (tests/data.py), no rate limit."""
    def call(event_id: str, **overrides) -> dict:
        outcome = registering.register(db, event_id, registration_body(**overrides), client_key="unit-tests",
                                       rate_limit=0)
        assert outcome.status == 201
        return outcome.body
    return call
