"""Registering: validation per field, duplicates, capacity, waitlist, approval, idempotency, limits."""
import uuid

import pytest

from chalicelib.events import counters
from tests.data import registration_body
from tests.stack import index_settled


def register(api, event_id, body, **kwargs):
    return api.post(f"/api/events/{event_id}/registrations", json=body, **kwargs)


def stored(db, event_id):
    """Everything a registration writes that can be found by event: rows and counters."""
    index_settled()
    return [r.id for r in db.Registration.by_event.query(event_id)], counters.read(db, event_id)


FORM = {"type": "object", "properties": {"company": {"type": "string", "maxLength": 50},
                                         "sessions": {"type": "array", "items": {"enum": ["b2b", "podcast"]}}},
        "required": ["company"], "additionalProperties": False}

BAD_FIELDS = [
    ("ticket_type", {"ticket_type": "platinum"}),
    ("ticket_type", {"ticket_type": ...}),
    ("name", {"name": ""}),
    ("name", {"name": "   "}),
    ("name", {"name": 42}),
    ("name", {"name": "x" * 201}),
    ("name", {"name": "Ali\u0000Veli"}),
    ("email", {"email": "not-an-email"}),
    ("email", {"email": "ali@"}),
    ("email", {"email": ...}),
    ("email", {"email": ["a@b.c"]}),
    ("language", {"language": "de"}),
    ("language", {"language": 1}),
    ("answers", {"answers": "company=x"}),
    ("answers.company", {"answers": {}}),
    ("answers.company", {"answers": {"company": 7}}),
    ("answers.sessions.0", {"answers": {"company": "Aygün MMC", "sessions": ["karaoke"]}}),
    ("answers.unknown", {"answers": {"company": "Aygün MMC", "unknown": 1}}),
    ("consent", {"consent": False}),
    ("consent", {"consent": "yes"}),
    ("consent", {"consent": ...}),
    ("unexpected", {"unexpected": 1}),
]


@pytest.mark.parametrize("field,change", BAD_FIELDS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_FIELDS)])
def test_each_bad_field_is_named_and_nothing_is_written(db, api, make_event, field, change):
    event = make_event(form=FORM, ticket_types=[{"id": "std", "name": {"en": "Standard"}},
                                                {"id": "vip", "name": {"en": "VIP"}}])
    body = registration_body(ticket_type="std", answers={"company": "Aygün MMC"})
    body.update(change)
    body = {k: v for k, v in body.items() if v is not ...}
    response = register(api, event["id"], body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error"] == "validation_error"
    assert field in [d["field"] for d in error["details"]]
    assert stored(db, event["id"]) == ([], {})


def test_confirmed_registration_counts_and_owes_an_email(db, api, make_event):
    event = make_event(capacity=3)
    response = register(api, event["id"], registration_body(name="İlkin Işık", language="az"))
    assert response.status_code == 201
    registration = response.json()
    assert registration["status"] == "confirmed" and registration["name"] == "İlkin Işık"
    assert registration["email_status"] == "queued" and "secret" not in registration
    rows, counts = stored(db, event["id"])
    assert rows == [registration["id"]] and counts["confirmed"] == 1 and counts["held"] == 1
    public = api.get(f"/api/events/{event['id']}").json()
    assert public["ticket_types"][0]["available"] == 2


def test_ticket_type_may_be_omitted_only_when_there_is_one(api, make_event):
    single = make_event()
    assert register(api, single["id"], registration_body()).json()["ticket_type"] == "general"


def test_raising_capacity_moves_the_waitlist(api, make_event):
    event = make_event(capacity=1, waitlist=True)
    register(api, event["id"], registration_body())
    waiting = register(api, event["id"], registration_body()).json()
    api.patch(f"/api/events/{event['id']}", json={"capacity": 2}, token=api.admin_token)
    moved = api.get(f"/api/events/{event['id']}/registrations/{waiting['id']}", token=api.admin_token).json()
    assert moved["status"] == "confirmed"


def test_approval_flow_and_invalid_moves(api, make_event):
    event = make_event(requires_approval=True, capacity=2)
    pending = register(api, event["id"], registration_body()).json()
    assert pending["status"] == "pending_approval"
    base = f"/api/events/{event['id']}/registrations"
    approved = api.post(f"{base}/{pending['id']}/approve", token=api.admin_token)
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"
    twice = api.post(f"{base}/{pending['id']}/approve", token=api.admin_token)
    assert twice.status_code == 409 and twice.json()["error"] == "invalid_state"
    other = register(api, event["id"], registration_body()).json()
    assert api.post(f"{base}/{other['id']}/reject", token=api.admin_token).json()["status"] == "rejected"
    assert api.post(f"{base}/{other['id']}/approve", token=api.admin_token).status_code == 409
    assert api.post(f"{base}/{other['id']}/cancel", token=api.admin_token).status_code == 409
    assert api.post(f"{base}/{other['id']}/dance", token=api.admin_token).status_code == 404
    assert api.post(f"{base}/nosuchregistration/approve", token=api.admin_token).status_code == 404


def test_idempotency_key_replays_the_first_answer(db, api, make_event):
    event = make_event()
    key = str(uuid.uuid4())
    body = registration_body()
    first = register(api, event["id"], body, headers={"Idempotency-Key": key})
    second = register(api, event["id"], body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(stored(db, event["id"])[0]) == 1
    changed = register(api, event["id"], registration_body(), headers={"Idempotency-Key": key})
    assert changed.status_code == 409
    assert db.Claim.get(f"idem#{event['id']}#{key}").expires_at > 0


def test_body_limits_and_malformed_json(db, api, make_event):
    event = make_event()
    path = f"/api/events/{event['id']}/registrations"
    assert api.post(path, data=b'{"name": ', headers={"Content-Type": "application/json"}).status_code == 400
    too_big = api.post(path, json=registration_body(answers={"x": "ə" * 40_000}))
    assert too_big.status_code == 413 and too_big.json()["error"] == "payload_too_large"
    assert stored(db, event["id"]) == ([], {})
