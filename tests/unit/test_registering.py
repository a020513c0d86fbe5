"""chalicelib/registration/registering.py: what a registration attempt decides. Against the store: the
decision is made by the transaction's conditions (seat token, email claim).

Tested here, not over HTTP: the HTTP tier keeps what a client sees (routes, status codes, error
shapes, emails).
"""
from __future__ import annotations

import pytest

from chalicelib.common.errors import AlreadyRegistered, Conflict, NotFound, RegistrationClosed, SoldOut, ValidationError
from chalicelib.events import counters
from chalicelib.registration import moves, registering
from tests import dates
from tests.data import registration_body
from tests.stack import index_settled


def attempt(db, event_id: str, **overrides) -> registering.Outcome:
    return registering.register(db, event_id, registration_body(**overrides), client_key="unit-tests", rate_limit=0)


def written(db, event_id: str) -> tuple[list[str], dict]:
    index_settled()  # the index lags behind the table in fault mode, as DynamoDB's does
    return [r.status for r in db.Registration.by_event.query(event_id)], counters.read(db, event_id)


def test_a_seat_left_confirms_and_takes_it(db, new_event):
    created = new_event(capacity=2)
    outcome = attempt(db, created["id"], name="  İlkin   Işık ")
    assert outcome.status == 201
    assert outcome.body["status"] == "confirmed" and outcome.body["name"] == "İlkin Işık"
    assert outcome.body["email_status"] == "queued"
    counts = counters.read(db, created["id"])
    assert (counts["confirmed"], counts["held"], counts["free"]) == (1, 1, 1)


def test_the_last_seat_taken_means_sold_out_without_a_waitlist(db, new_event, register):
    created = new_event(ticket_types=[{"id": "b2b", "name": {"en": "B2B table"}, "capacity": 1}])
    assert register(created["id"])["status"] == "confirmed"
    before = written(db, created["id"])
    with pytest.raises(SoldOut):
        attempt(db, created["id"])
    assert written(db, created["id"]) == before  # nothing of the refused attempt is stored


def test_with_a_waitlist_a_full_event_waitlists_without_taking_a_seat(db, new_event, register):
    created = new_event(capacity=1, waitlist=True)
    register(created["id"])
    waiting = register(created["id"])
    assert waiting["status"] == "waitlisted"
    counts = counters.read(db, created["id"])
    assert (counts["held"], counts["waitlisted"], counts["free"]) == (1, 1, 0)


def test_a_waitlist_with_seats_left_still_confirms(db, new_event, register):
    created = new_event(capacity=2, waitlist=True)
    assert register(created["id"])["status"] == "confirmed"


def test_approval_holds_a_seat_pending_and_a_full_event_still_refuses(db, new_event, register):
    created = new_event(capacity=1, requires_approval=True)
    pending = register(created["id"])
    assert pending["status"] == "pending_approval"
    counts = counters.read(db, created["id"])
    assert (counts["pending_approval"], counts["held"]) == (1, 1)  # approving never lacks a seat
    with pytest.raises(SoldOut):
        attempt(db, created["id"])


def test_approval_with_a_waitlist_waits_when_full(db, new_event, register):
    created = new_event(capacity=1, requires_approval=True, waitlist=True)
    assert [register(created["id"])["status"] for _ in range(2)] == ["pending_approval", "waitlisted"]


@pytest.mark.parametrize("window", [
    {"registration_closes_at": dates.from_now(days=-1), "registration_opens_at": dates.from_now(days=-8)},
    {"registration_opens_at": dates.from_now(days=1)},
    {"status": "cancelled"},
    {"status": "closed"},
    {"starts_at": dates.day_at(-2, "10:00"), "ends_at": dates.day_at(-2, "18:00")},
], ids=["closed", "not-yet-open", "cancelled", "status-closed", "over"])
def test_outside_the_registration_window_registration_is_closed(db, new_event, window):
    created = new_event(**window)
    with pytest.raises(RegistrationClosed):
        attempt(db, created["id"])
    assert written(db, created["id"]) == ([], {})


def test_a_draft_or_unknown_event_is_not_found(db, new_event):
    with pytest.raises(NotFound):
        attempt(db, new_event(status="draft")["id"])
    with pytest.raises(NotFound):
        attempt(db, "unit-no-such-event")


@pytest.mark.parametrize("first,second", [
    ("ILKIN@example.org", "ilkin@example.org"),
    ("İlkin@Example.org", "ILKIN@EXAMPLE.ORG"),
    ("  ılkın@example.org ", "ilkin@example.org"),
    ("ali@örnek.com.tr", "ALI@xn--rnek-4qa.com.tr"),
])
def test_one_registration_per_email_with_turkish_case_rules(db, new_event, register, first, second):
    created = new_event()
    register(created["id"], email=first)
    with pytest.raises(AlreadyRegistered):
        attempt(db, created["id"], email=second)
    assert written(db, created["id"])[0] == ["confirmed"]


def test_an_event_may_allow_one_email_several_times(db, new_event, register):
    created = new_event(allow_duplicate_emails=True)
    assert [register(created["id"], email="family@example.org")["status"] for _ in range(2)] == ["confirmed"] * 2


def test_a_cancelled_or_rejected_registration_frees_its_email(db, new_event, register):
    created = new_event(requires_approval=True)
    rejected = register(created["id"], email="aygun@example.org")
    moves.apply_move(db, created["id"], rejected["id"], "reject")
    again = register(created["id"], email="AYGUN@Example.org")
    moves.apply_move(db, created["id"], again["id"], "cancel")
    assert register(created["id"], email="aygun@example.org")["status"] == "pending_approval"


def test_a_bad_body_is_refused_before_anything_is_written(db, new_event):
    created = new_event(capacity=1)
    with pytest.raises(ValidationError) as refused:
        attempt(db, created["id"], consent=False, email="not-an-email")
    assert {d.field for d in refused.value.details} == {"consent", "email"}
    assert written(db, created["id"]) == ([], {"free": 1})


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(db, new_event):
    created = new_event()
    body = registration_body()
    first = registering.register(db, created["id"], body, client_key="unit-tests", rate_limit=0,
                                 idempotency_key="unit-key-1")
    again = registering.register(db, created["id"], body, client_key="unit-tests", rate_limit=0,
                                 idempotency_key="unit-key-1")
    assert again == first and len(written(db, created["id"])[0]) == 1
    with pytest.raises(Conflict):
        registering.register(db, created["id"], registration_body(), client_key="unit-tests", rate_limit=0,
                             idempotency_key="unit-key-1")
