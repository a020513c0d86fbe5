"""chalicelib/events/counters.py: seat choice and the seats shown as left. Pure over counts dicts, and
one test against the store (`find_room` reads the shards).

Makes the "available" assertions of tests/api/test_registration.py (test_confirmed_registration_counts...,
test_sold_out_without_waitlist) redundant as to the arithmetic; tests/api/test_seat_shards.py still
proves the token conditions under bursts.
"""
from __future__ import annotations

from chalicelib.events import counters, definition
from chalicelib.storage import shards
from tests.unit.conftest import event

TYPES = [{"id": "std", "name": {"en": "Standard"}}, {"id": "vip", "name": {"en": "VIP"}, "capacity": 2}]


def test_a_seat_draws_on_the_events_capacity_and_its_types_own():
    limited = event(capacity=10, ticket_types=TYPES)
    assert counters.pools(limited, "std") == ["free"]
    assert counters.pools(limited, "vip") == ["free", "free__vip"]
    assert counters.pools(limited, "vip", event_wide=False) == ["free__vip"]
    assert counters.pools(event(), "general") == []  # unlimited: no token to take


def test_a_newcomers_first_try_never_lands_on_the_returns_shard():
    limited = event(capacity=10, ticket_types=TYPES)
    shards = {counters.first_try(limited, "vip", fair_to_waitlist=False).home for _ in range(400)}
    assert counters.RETURNS not in shards
    assert shards <= set(range(1, counters.shard_count()))
    seat = counters.first_try(limited, "vip", fair_to_waitlist=True)
    assert set(seat.pools) == {"free", "free__vip"} and set(seat.pools.values()) == {seat.home}
    assert seat.fair_type == "vip"
    assert counters.first_try(limited, "vip", fair_to_waitlist=False).fair_type is None


def test_seats_left_are_the_smaller_of_the_events_and_the_types_room():
    limited = event(capacity=10, ticket_types=TYPES)
    assert counters.available(limited, {"free": 5, "free__vip": 2}) == {"std": 5, "vip": 2}
    assert counters.available(limited, {"free": 1, "free__vip": 2}) == {"std": 1, "vip": 1}
    assert counters.available(limited, {}) == {"std": 0, "vip": 0}


def test_unlimited_types_show_no_number_and_a_debt_shows_as_none_left():
    open_event = event(ticket_types=TYPES)
    assert counters.available(open_event, {"free__vip": 1}) == {"std": None, "vip": 1}
    assert counters.available(open_event, {"free__vip": -3}) == {"std": None, "vip": 0}  # capacity lowered below held


def test_while_people_of_a_type_wait_newcomers_see_no_seat_of_it():
    limited = event(capacity=10, ticket_types=TYPES, waitlist=True)
    counts = {"free": 4, "free__vip": 1, "waitlisted__vip": 2}
    assert counters.available(limited, counts) == {"std": 4, "vip": 0}
    assert counters.waiting_with_room(limited, counts) == ["vip"]  # the waitlist is owed that seat


def test_the_waitlist_is_owed_a_move_only_where_a_waiting_type_has_room():
    limited = event(capacity=10, ticket_types=TYPES, waitlist=True)
    assert counters.waiting_with_room(limited, {"free": 4, "free__vip": 0, "waitlisted__vip": 2}) == []
    assert counters.waiting_with_room(limited, {"free": 0, "free__vip": 1, "waitlisted__vip": 2}) == []
    assert counters.waiting_with_room(limited, {"free": 3, "waitlisted__std": 1}) == ["std"]
    assert counters.waiting_with_room(event(waitlist=True), {"waitlisted__general": 1}) == ["general"]


def test_seats_left_in_the_whole_event():
    limited = event(capacity=10, ticket_types=TYPES)
    assert counters.available_in_all(limited, {"free": 6, "free__vip": 2, "held": 4}) == 6
    capped_types = event(capacity=10, ticket_types=[{**t, "capacity": 1} for t in TYPES])
    assert counters.available_in_all(capped_types, {"free": 10, "free__std": 1, "free__vip": 1}) == 2
    assert counters.available_in_all(event(ticket_types=TYPES), {"free__vip": 2}) is None


def test_summing_shards_and_which_removed_types_are_in_use():
    assert shards.total([{"free": 2, "held": 1}, {}, {"free": -1, "arrived": 3}]) == {"free": 1, "held": 1,
                                                                                        "arrived": 3}
    before, after = event(ticket_types=TYPES), event(ticket_types=[TYPES[0], {"id": "b2b", "name": {"en": "B2B"}}])
    assert definition.ticket_type_changes(before, after) == ({"vip"}, {"b2b"})
    assert counters.in_use({"cancelled__vip": 1, "confirmed__std": 4}, {"vip", "b2b"}) == ["vip"]
    assert counters.in_use({"confirmed__std": 4}, {"vip"}) == []


def test_a_new_events_seats_are_spread_and_find_room_goes_where_a_token_is(db, new_event, register):
    created = new_event(capacity=3, ticket_types=TYPES)
    counts = counters.read(db, created["id"])
    assert counts["free"] == 3 and counts["free__vip"] == 2
    on_shards = shards.read(db, {"": [counters.key(created["id"], n) for n in range(counters.shard_count())]})[""]
    assert on_shards[counters.RETURNS] == {}  # nothing starts on the returns shard

    seat = counters.find_room(db, created, "vip", fair_to_waitlist=False)
    assert seat is not None
    for pool, shard in seat.pools.items():
        assert on_shards[shard].get(pool, 0) >= 1

    register(created["id"], ticket_type="vip")
    register(created["id"], ticket_type="vip")
    assert counters.find_room(db, created, "vip", fair_to_waitlist=False) is None  # the type is full
    assert counters.find_room(db, created, "std", fair_to_waitlist=False) is not None  # one seat of the event left
    assert counters.read(db, created["id"])["held"] == 2
