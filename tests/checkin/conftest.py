"""Door fixtures: an event with two ticket types, lists, scanner tokens, tickets signed like the server's."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

from chalicelib.common.config import settings
from chalicelib.storage.models import Scan
from chalicelib.storage.tables import Tables
from chalicelib.tickets import issuing
from tests.api.test_tokens import make_token
from tests.data import registration_body
from tests.dates import DoorDay
from tests.stack import Api

TICKET_TYPES = [{"id": "std", "name": {"tr": "Standart", "en": "Standard"}},
                {"id": "vip", "name": {"tr": "VIP", "az": "VIP", "en": "VIP"}}]


@pytest.fixture(scope="package", autouse=True)
def server_keys(local_run):
    """Sign and reissue tickets in this process with the local run's keys, as the server does."""
    previous = os.environ.get("KAPI_DATA_DIR")
    os.environ["KAPI_DATA_DIR"] = str(local_run.data_dir)
    settings.cache_clear()
    issuing.signer.cache_clear()
    yield
    if previous is None:
        os.environ.pop("KAPI_DATA_DIR")
    else:
        os.environ["KAPI_DATA_DIR"] = previous
    settings.cache_clear()
    issuing.signer.cache_clear()


@dataclass
class Door:
    """One event at the door, its doors opened a few hours ago (`hours`): register attendees, make
    lists, scan, read counts."""
    api: Api
    event: dict
    scanner: str
    hours: DoorDay
    db: Tables

    @property
    def event_id(self) -> str:
        return self.event["id"]

    def register(self, ticket_type: str = "std", **fields) -> dict:
        response = self.api.post(f"/api/events/{self.event_id}/registrations",
                                 json=registration_body(ticket_type=ticket_type, **fields))
        assert response.status_code == 201, response.text
        registration = response.json()
        registration["secret"] = issuing.signer().issue(self.event_id, registration["id"], 0)
        return registration

    def make_list(self, **fields) -> dict:
        response = self.api.post(f"/api/events/{self.event_id}/checkin-lists", json={"name": "Ana kapı", **fields},
                                 token=self.api.admin_token)
        assert response.status_code == 201, response.text
        return response.json()

    def scan(self, checkin_list: dict, secret: str, scan_type: str = "entry", token: str | None = None,
             language: str | None = None, **fields):
        headers = {"Accept-Language": language} if language else {}
        return self.api.post(f"/api/events/{self.event_id}/checkin-lists/{checkin_list['id']}/scans",
                             json={"secret": secret, "type": scan_type, **fields}, token=token or self.scanner,
                             headers=headers)

    def batch(self, checkin_list: dict, scans: list[dict]):
        return self.api.post(f"/api/events/{self.event_id}/checkin-lists/{checkin_list['id']}/scans/batch",
                             json={"scans": scans}, token=self.scanner)

    def status(self, checkin_list: dict) -> dict:
        response = self.api.get(f"/api/events/{self.event_id}/checkin-lists/{checkin_list['id']}/status",
                                token=self.scanner)
        assert response.status_code == 200, response.text
        return response.json()

    def audit(self) -> list[Scan]:
        return list(self.db.Scan.query(self.event_id, consistent_read=True))

    def move(self, registration: dict, move: str) -> None:
        response = self.api.post(f"/api/events/{self.event_id}/registrations/{registration['id']}/{move}",
                                 token=self.api.admin_token)
        assert response.status_code == 200, response.text


@pytest.fixture
def make_door(api, make_event, db):
    def make(**event_fields) -> Door:
        hours = DoorDay()
        event = make_event(**{"ticket_types": TICKET_TYPES, **hours.event_fields(), **event_fields})
        scanner = make_token(api, "scanner", [event["id"]])["token"]
        return Door(api, event, scanner, hours, db)
    return make


@pytest.fixture
def door(make_door) -> Door:
    return make_door()


def nonce() -> str:
    return uuid.uuid4().hex
