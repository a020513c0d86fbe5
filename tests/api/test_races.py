"""Bursts against the running local stack: conditions, not luck, decide who gets a seat."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.events import counters
from tests.data import registration_body
from tests.stack import Api

ROUNDS = 5


def burst(api, event_id, bodies):
    def one(body):
        client = Api(api.base_url, api.admin_token)  # a connection per thread, like separate phones
        return client.post(f"/api/events/{event_id}/registrations", json=body)
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_sixty_people_for_ten_seats_confirm_exactly_ten(db, api, make_event, round_):
    event = make_event(capacity=10)
    responses = burst(api, event["id"], [registration_body() for _ in range(60)])
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 10 and codes.count(409) == 50
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"sold_out"}
    counts = counters.read(db, event["id"])
    assert counts["confirmed"] == counts["held"] == 10


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_with_a_waitlist_the_other_fifty_wait(db, api, make_event, round_):
    event = make_event(capacity=10, waitlist=True)
    responses = burst(api, event["id"], [registration_body() for _ in range(60)])
    statuses = [r.json()["status"] for r in responses]
    assert all(r.status_code == 201 for r in responses)
    assert statuses.count("confirmed") == 10 and statuses.count("waitlisted") == 50
    counts = counters.read(db, event["id"])
    assert (counts["confirmed"], counts["waitlisted"]) == (10, 50)


CASES = ["İlkin.Işık@Example.org", "ilkin.ışık@example.org", "ILKIN.IŞIK@EXAMPLE.ORG", "ılkın.işık@example.org"]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_twenty_registrations_with_one_email_create_one(db, api, make_event, round_):
    event = make_event()
    bodies = [registration_body(email=CASES[i % len(CASES)]) for i in range(20)]
    responses = burst(api, event["id"], bodies)
    assert sorted(r.status_code for r in responses) == [201] + [409] * 19
    assert counters.read(db, event["id"])["confirmed"] == 1
