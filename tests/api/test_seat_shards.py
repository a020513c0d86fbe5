"""Seats split over counter shards: bursts still confirm exactly the capacity, a full shard sends the
registration to another one, and changing the capacity moves seats without ever overselling."""
import pytest

from chalicelib.events import counters
from chalicelib.storage import shards
from tests.api.test_races import ROUNDS, burst
from tests.data import registration_body


def statuses(responses) -> list[str]:
    return [r.json().get("status") or r.json()["error"] for r in responses]


def on_shards(db, event_id: str) -> list[dict[str, int]]:
    return shards.read(db, {"": [counters.key(event_id, n) for n in range(counters.shard_count())]})[""]


def shard_counts(db, event_id: str, name: str) -> list[int]:
    return [numbers.get(name, 0) for numbers in on_shards(db, event_id)]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_seat_over_all_shards_goes_to_exactly_one(db, api, make_event, round_):
    event = make_event(capacity=1)
    responses = burst(api, event["id"], [registration_body() for _ in range(25)])
    assert sorted(statuses(responses)) == ["confirmed"] + ["sold_out"] * 24
    assert counters.read(db, event["id"])["held"] == 1


# What a busy DynamoDB does (devstack/dynamo_faults.py): a transaction holds its items 20 ms, so
# overlapping ones conflict; 10 % more conflicts, 5 % throttles and 1 % server errors at random.
BUSY_STORE = {"transaction_ms": 20, "conflicts": 0.1, "throttles": 0.05, "errors": 0.01}


@pytest.mark.parametrize("capacity", [10, 1])
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_with_faults_on_a_burst_confirms_exactly_the_capacity(db, api, make_event, store_faults, capacity, round_):
    event = make_event(capacity=capacity)
    store_faults(**BUSY_STORE)
    try:
        answers = statuses(burst(api, event["id"], [registration_body() for _ in range(40)]))
    finally:
        store_faults()
    assert answers.count("confirmed") == capacity  # the others were refused or told to retry, never oversold
    assert set(answers) <= {"confirmed", "sold_out", "unavailable"}
    counts = counters.read(db, event["id"])
    assert (counts["confirmed"], counts["held"], counts["free"]) == (capacity, capacity, 0)


def test_a_burst_spreads_over_shards_and_fills_every_seat(db, api, make_event):
    event = make_event(capacity=40)
    responses = burst(api, event["id"], [registration_body() for _ in range(55)])
    assert statuses(responses).count("confirmed") == 40  # never refused while a seat was free anywhere
    per_shard = shard_counts(db, event["id"], "confirmed")
    assert sum(per_shard) == 40 and max(per_shard) < 40 and sum(1 for n in per_shard if n) > 10
    assert sum(shard_counts(db, event["id"], "free")) == 0


def test_event_and_ticket_type_capacity_both_hold_under_a_burst(db, api, make_event):
    event = make_event(capacity=12, ticket_types=[{"id": "std", "name": {"en": "Standard"}},
                                                  {"id": "vip", "name": {"en": "VIP"}, "capacity": 3}])
    bodies = [registration_body(ticket_type="vip") for _ in range(10)] + \
             [registration_body(ticket_type="std") for _ in range(20)]
    codes = statuses(burst(api, event["id"], bodies))
    vip = codes[:10].count("confirmed")  # fewer than 3 only if standard tickets took the event's seats first
    assert vip <= 3 and codes.count("confirmed") == 12
    counts = counters.read(db, event["id"])
    assert (counts["held"], counts["held__vip"], counts["free"], counts["free__vip"]) == (12, vip, 0, 3 - vip)


def test_lowering_capacity_takes_only_free_seats_and_cancellations_repay_the_rest(db, api, make_event):
    event = make_event(capacity=20)
    base = f"/api/events/{event['id']}"
    first = [r.json() for r in burst(api, event["id"], [registration_body() for _ in range(8)])]
    assert api.patch(base, json={"capacity": 10}, token=api.admin_token).status_code == 200
    assert api.get(base).json()["ticket_types"][0]["available"] == 2
    assert statuses(burst(api, event["id"], [registration_body() for _ in range(6)])).count("confirmed") == 2
    assert api.patch(base, json={"capacity": 7}, token=api.admin_token).status_code == 200  # 10 held
    for registration in first[:2]:
        api.post(f"{base}/registrations/{registration['id']}/cancel", token=api.admin_token)
    assert api.get(base).json()["ticket_types"][0]["available"] == 0  # 8 held for 7 seats
    assert statuses(burst(api, event["id"], [registration_body() for _ in range(3)])) == ["sold_out"] * 3
    api.post(f"{base}/registrations/{first[2]['id']}/cancel", token=api.admin_token)
    api.post(f"{base}/registrations/{first[3]['id']}/cancel", token=api.admin_token)
    assert statuses(burst(api, event["id"], [registration_body() for _ in range(4)])).count("confirmed") == 1
    counts = counters.read(db, event["id"])
    assert (counts["held"], counts["free"]) == (7, 0)


def test_raising_capacity_while_people_wait_serves_the_waitlist_first(db, api, make_event):
    event = make_event(capacity=2, waitlist=True)
    base = f"/api/events/{event['id']}"
    waiting = [r.json() for r in burst(api, event["id"], [registration_body() for _ in range(5)])]
    assert sorted(w["status"] for w in waiting) == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert api.patch(base, json={"capacity": 4}, token=api.admin_token).status_code == 200
    counts = counters.read(db, event["id"])
    assert (counts["confirmed"], counts["waitlisted"], counts["free"]) == (4, 1, 0)
    assert api.post(f"{base}/registrations", json=registration_body()).json()["status"] == "waitlisted"


def test_turning_a_limit_on_and_off_counts_the_seats_already_held(db, api, make_event):
    event = make_event()
    base = f"/api/events/{event['id']}"
    burst(api, event["id"], [registration_body() for _ in range(5)])
    assert api.patch(base, json={"capacity": 6}, token=api.admin_token).status_code == 200
    assert statuses(burst(api, event["id"], [registration_body() for _ in range(4)])).count("confirmed") == 1
    assert api.patch(base, json={"capacity": None}, token=api.admin_token).status_code == 200
    assert api.post(f"{base}/registrations", json=registration_body()).json()["status"] == "confirmed"
    assert all("free" not in numbers for numbers in on_shards(db, event["id"]))
