"""chalicelib/registration/waitlist.py: who moves up when a seat is freed. Against the store: the
waitlist is read from the status index and each promotion takes a seat token.

Makes tests/api/test_registration.py::test_waitlist_then_cancel_moves_the_first_waiting_up and
::test_raising_capacity_moves_the_waitlist redundant (same rules, no HTTP); the crash-recovery tests of
tests/delivery/test_owed_promotion.py stay.
"""
from __future__ import annotations

import pytest

from chalicelib.events import counters, events
from chalicelib.registration import actions, moves, waitlist
from chalicelib.storage import outbox
from chalicelib.storage.models import OwedPromotion

TWO_TYPES = [{"id": "std", "name": {"en": "Standard"}, "capacity": 1},
             {"id": "vip", "name": {"en": "VIP"}, "capacity": 1}]


def statuses(db, event_id, *registrations) -> list[str]:
    return [moves.get(db, event_id, r["id"]).status for r in registrations]


def test_a_cancelled_seat_goes_to_the_oldest_waiting(db, new_event, register):
    created = new_event(capacity=1, waitlist=True)
    first, second, third = (register(created["id"]) for _ in range(3))
    assert [first["status"], second["status"], third["status"]] == ["confirmed", "waitlisted", "waitlisted"]

    cancelled = actions.apply(db, created["id"], first["id"], "cancel")

    assert cancelled.status == "cancelled"
    assert statuses(db, created["id"], second, third) == ["confirmed", "waitlisted"]
    counts = counters.read(db, created["id"])
    assert (counts["confirmed"], counts["waitlisted"], counts["held"], counts["free"]) == (1, 1, 1, 0)


def test_the_oldest_waiting_of_a_full_type_is_skipped_for_a_type_with_room(db, new_event, register):
    created = new_event(ticket_types=TWO_TYPES, waitlist=True)
    std = register(created["id"], ticket_type="std")
    vip = register(created["id"], ticket_type="vip")
    std_waiting = register(created["id"], ticket_type="std")  # older than vip_waiting, but std stays full
    vip_waiting = register(created["id"], ticket_type="vip")
    assert [std_waiting["status"], vip_waiting["status"]] == ["waitlisted", "waitlisted"]

    actions.apply(db, created["id"], vip["id"], "cancel")

    assert statuses(db, created["id"], std, std_waiting, vip_waiting) == ["confirmed", "waitlisted", "confirmed"]
    assert counters.waiting_with_room(created, counters.read(db, created["id"])) == []


def test_cancelling_someone_waiting_frees_no_seat_and_moves_nobody(db, new_event, register):
    created = new_event(capacity=1, waitlist=True)
    register(created["id"])
    second, third = register(created["id"]), register(created["id"])

    actions.apply(db, created["id"], second["id"], "cancel")

    assert statuses(db, created["id"], second, third) == ["cancelled", "waitlisted"]
    assert moves.frees_seat("waitlisted", "cancelled") is False
    assert moves.frees_seat("pending_approval", "rejected") and moves.frees_seat("confirmed", "cancelled")
    assert not moves.frees_seat("pending_approval", "confirmed")


def test_a_raised_capacity_is_owed_to_the_waitlist_and_settling_it_promotes_in_order(db, new_event, register):
    created = new_event(capacity=1, waitlist=True)
    register(created["id"])
    waiting = [register(created["id"]) for _ in range(3)]

    events.patch(db, created["id"], {"capacity": 3})  # owes the waitlist a move; the request would settle it
    assert db.OwedPromotion.get(outbox.promotion_key(created["id"]), consistent_read=True)
    assert counters.available(events.load(db, created["id"]), counters.read(db, created["id"]))["general"] == 0

    assert waitlist.settle_promotion(db, created["id"]) == 2
    assert statuses(db, created["id"], *waiting) == ["confirmed", "confirmed", "waitlisted"]
    assert waitlist.settle_promotion(db, created["id"]) == 0  # the debt is struck: settling again moves nobody
    with pytest.raises(OwedPromotion.DoesNotExist):
        db.OwedPromotion.get(outbox.promotion_key(created["id"]), consistent_read=True)


def test_promoting_twice_moves_nobody_twice(db, new_event, register):
    created = new_event(capacity=1, waitlist=True)
    first, second = register(created["id"]), register(created["id"])
    moves.apply_move(db, created["id"], first["id"], "cancel")  # frees the seat; nobody settled yet

    assert waitlist.promote_waitlist(db, created["id"]) == 1
    assert waitlist.promote_waitlist(db, created["id"]) == 0
    assert statuses(db, created["id"], second) == ["confirmed"]
    assert counters.read(db, created["id"])["confirmed"] == 1
