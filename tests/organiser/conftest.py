"""Helpers for the organiser tests: many registrations at once through the domain layer, and a day at
the door driven through the API."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest

from chalicelib.registration import registering
from tests.api.test_tokens import make_token
from tests.data import registration_body
from tests.dates import ISTANBUL, DoorDay, iso


def bulk_register(db, event_id: str, bodies: list[dict], workers: int = 4) -> list[dict]:
    """Register every body in-process (no HTTP), in parallel; returns the 201 answers in order."""
    def one(body: dict) -> dict:
        outcome = registering.register(db, event_id, body, client_key="bulk", rate_limit=0)
        assert outcome.status == 201
        return outcome.body
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, bodies))


@pytest.fixture(scope="session")
def populate(db):
    """`populate(event_id, n, **fields)`: n registrations with distinct emails."""
    def run(event_id: str, count: int, **fields) -> list[dict]:
        return bulk_register(db, event_id, [registration_body(**fields) for _ in range(count)])
    return run


@pytest.fixture
def make_day(api, make_event, local_run, db):
    """`make_day(**event_fields)`: a Day for a new event whose doors opened a few hours ago."""
    def make(**fields) -> Day:
        hours = DoorDay(fields.get("timezone", ISTANBUL))
        return Day(api, make_event(**{**hours.event_fields(), **fields}), hours,
                   lambda registration_id: local_run.secrets(db, registration_id)[0])
    return make


class Day:
    """One event at the door, driven through the API as organisers and door staff would.

    `hours` is the DoorDay the event was made with (`DoorDay.event_fields()`): scans are dated
    `h:mm` after its doors opened, which lies in the past as scan times must.
    """

    def __init__(self, api, event, hours: DoorDay, ticket_secret):
        self.api, self.event, self.hours, self.ticket_secret = api, event, hours, ticket_secret
        self.base = f"/api/events/{event['id']}"
        self.scanner = make_token(api, "scanner", [event["id"]])["token"]
        self.lists = []

    def register(self, name, ticket_type):
        response = self.api.post(f"{self.base}/registrations", json=registration_body(name=name, ticket_type=ticket_type))
        assert response.status_code == 201, response.text
        return response.json()

    def move(self, registration, move):
        response = self.api.post(f"{self.base}/registrations/{registration['id']}/{move}", token=self.api.admin_token)
        assert response.status_code == 200, response.text

    def make_list(self, name, ticket_types=()):
        response = self.api.post(f"{self.base}/checkin-lists", json={"name": name, "ticket_types": list(ticket_types)},
                                 token=self.api.admin_token)
        assert response.status_code == 201, response.text
        self.lists.append(response.json())
        return response.json()

    def secret(self, registration):
        """The ticket secret, as its QR code holds it (the door's name search gives none: SPEC §16)."""
        return self.ticket_secret(registration["id"])

    def scan(self, checkin_list, registration, scan_type, at, expect=201, zone=None):
        """A scan dated `at` (`h:mm` after opening), written with `zone`'s offset (default: the event's)."""
        moment = self.hours.moment(at)
        body = {"secret": self.secret(registration), "type": scan_type,
                "scanned_at": iso(moment.astimezone(ZoneInfo(zone)) if zone else moment)}
        response = self.api.post(f"{self.base}/checkin-lists/{checkin_list['id']}/scans", json=body, token=self.scanner)
        assert response.status_code == expect, response.text

    def attendance(self, token=None):
        response = self.api.get(f"{self.base}/attendance", token=token or self.api.admin_token)
        assert response.status_code == 200, response.text
        return response.json()
