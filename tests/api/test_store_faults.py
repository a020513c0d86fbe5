"""DynamoDB's real failure modes reach the API as retries or a 503 with Retry-After, never a 500.

Each test turns the local server's fault mode on for itself (`store_faults`, see
devstack/dynamo_faults.py) and talks to the running local stack over HTTP.
"""
import threading

import pytest

from chalicelib.events import counters
from chalicelib.storage.models import Registration
from chalicelib.storage.retries import with_retries
from chalicelib.storage.transaction import ConditionsFailed
from tests.data import registration_body
from tests.waiting import poll


def register(api, event_id, body=None):
    return api.post(f"/api/events/{event_id}/registrations", json=body or registration_body())


def assert_unavailable(response):
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "unavailable" and response.json()["details"] == []
    assert int(response.headers["Retry-After"]) >= 1


def test_a_throttled_store_answers_503_with_retry_after(db, api, local_run, make_event, store_faults):
    event = make_event()
    _, manage = local_run.secrets(db, register(api, event["id"]).json()["id"])
    store_faults(throttles=1.0)
    assert_unavailable(api.get(f"/api/events/{event['id']}"))
    assert_unavailable(register(api, event["id"]))
    page = api.get(f"/t/{manage}")
    assert page.status_code == 503 and page.headers["Retry-After"] and "text/html" in page.headers["Content-Type"]


def test_internal_errors_that_outlast_the_retries_answer_503(api, make_event, store_faults):
    event = make_event()
    store_faults(errors=1.0)
    assert_unavailable(api.get(f"/api/events/{event['id']}/attendance", token=api.admin_token))


def test_a_transaction_that_keeps_conflicting_is_503_and_writes_nothing(db, api, make_event, store_faults):
    event = make_event(capacity=5)
    before = counters.read(db, event["id"])
    store_faults(conflicts=1.0)
    assert_unavailable(register(api, event["id"]))
    store_faults()
    assert counters.read(db, event["id"]) == before
    assert register(api, event["id"]).status_code == 201  # the client's retry, once the store is free


def test_a_hot_item_throttling_a_transaction_is_retried_then_503(db, api, make_event, store_faults):
    """DynamoDB cancels the transaction with reason ThrottlingError, a 400 botocore does not retry.
    The counters are sharded (no item is written by every registration), so the hot item here is
    one address's uniqueness claim, written by both registrations."""
    event = make_event()  # no seat to look for: each registration is one transaction
    store_faults(item_writes_per_second=0.01)  # each item: one transactional write, then 200 s to refill
    first = registration_body()
    assert register(api, event["id"], first).status_code == 201
    assert_unavailable(register(api, event["id"], registration_body(email=first["email"])))
    store_faults()
    assert counters.read(db, event["id"])["confirmed"] == 1


def test_a_write_meeting_a_transaction_in_flight_is_retried(db, api, make_event, store_faults, dynamo_server):
    event = make_event()
    registration = db.Registration.get(register(api, event["id"]).json()["id"])
    store_faults(transaction_ms=150)
    organiser = threading.Thread(target=api.post, args=(
        f"/api/events/{event['id']}/registrations/{registration.id}/resend",), kwargs={"token": api.admin_token})
    organiser.start()
    poll(lambda: dynamo_server.faults()["in_flight"], bool, timeout=30, interval=0.005)
    # The name: the email worker, busy with this registration's messages, never writes it.
    with_retries(lambda: registration.update(actions=[Registration.name.set("Gülşən Əliyeva-Rüstəmova")]))
    organiser.join()
    assert dynamo_server.faults()["injected"].get("transaction_conflict", 0) >= 1
    assert db.Registration.get(registration.id, consistent_read=True).name == "Gülşən Əliyeva-Rüstəmova"


def test_a_condition_nobody_expected_is_a_409_not_a_500(db):
    """A failed condition the caller has no answer for escapes as the spec's 409 `conflict`."""
    from chalicelib.http.web import json_view

    missing = db.Registration("no-such-registration")

    @json_view
    def view():
        db.transaction().check("surprise", db.Registration, missing.id, Registration.id.exists()).commit()

    response = view()
    assert response.status_code == 409
    assert '"error":"conflict"' in response.body
    with pytest.raises(ConditionsFailed) as failed:
        db.transaction().check("surprise", db.Registration, missing.id, Registration.id.exists()).commit()
    assert failed.value.labels == {"surprise"}
