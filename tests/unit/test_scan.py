"""chalicelib/checkin/scan.py: the door's decision on a scan, with pretix's reasons in SPEC §7's order,
and what an admitted scan counts. Against the store (a scan reads the registration and writes its state),
with tickets signed in this process (KAPI_DATA_DIR of the test session).

Tested here, not over HTTP: the HTTP tier keeps what a client sees (routes, status codes, error
shapes, emails).
"""
from __future__ import annotations

import pytest

from chalicelib.checkin import counts, lists, scan
from chalicelib.registration import moves
from chalicelib.tickets import issuing
from tests import dates

TYPES = [{"id": "std", "name": {"en": "Standard"}}, {"id": "vip", "name": {"en": "VIP"}}]


@pytest.fixture
def gate(db, new_event, register):
    """An event whose doors opened hours ago (approval needed), and a way to scan its tickets on a list."""
    day = dates.DoorDay()
    created = new_event(ticket_types=TYPES, requires_approval=True, **day.event_fields())

    class Gate:
        event = created

        @staticmethod
        def ticket(ticket_type: str = "std", status: str = "confirmed") -> dict:
            made = register(created["id"], ticket_type=ticket_type)
            if status in ("confirmed", "cancelled"):
                moves.apply_move(db, created["id"], made["id"], "approve")
            if status in ("cancelled", "rejected"):
                moves.apply_move(db, created["id"], made["id"], "cancel" if status == "cancelled" else "reject")
            made["secret"] = issuing.secret_for(moves.get(db, created["id"], made["id"]))
            return made

        @staticmethod
        def door(**list_fields) -> scan.Door:
            made = lists.create(db, created["id"], {"name": "Gate", **list_fields})
            return scan.door(db, created["id"], made["id"], "unit-token", "en")

        @staticmethod
        def scan(door: scan.Door, ticket: dict, scan_type: str = "entry", **request) -> scan.Answer:
            return scan.perform(db, door, scan.ScanRequest(ticket["secret"], scan_type, **request))

        hours = day
    return Gate


def reason(answer: scan.Answer) -> str:
    return answer.body["reason"] if answer.body["status"] == "error" else "ok"


def test_a_confirmed_ticket_enters_once_and_is_counted(db, gate):
    door, ticket = gate.door(), gate.ticket()
    first = gate.scan(door, ticket)
    assert first.status == 201 and first.body["status"] == "ok" and first.body["checkin"]["forced"] is False
    again = gate.scan(door, ticket)
    assert again.status == 400 and reason(again) == "already_redeemed"
    figures = counts.read(db, gate.event["id"], door.checkin_list["id"])
    assert (figures["checkin_count"], figures["inside_count"], figures["checkin_count__std"]) == (1, 1, 1)


def test_already_redeemed_says_when_and_on_which_list_the_ticket_first_came_in(gate):
    door, ticket = gate.door(), gate.ticket()
    first = gate.scan(door, ticket)
    again = gate.scan(door, ticket)
    assert reason(again) == "already_redeemed"
    assert again.body["first_entry"] == {"at": first.body["checkin"]["at"], "list": door.checkin_list["id"]}
    other = gate.scan(door, gate.ticket(status="cancelled"))
    assert reason(other) == "canceled" and "first_entry" not in other.body


def test_reasons_come_in_the_spec_order(gate):
    vip_later = gate.door(ticket_types=["vip"], valid_from=gate.hours.at("6:00"))
    assert reason(gate.scan(vip_later, gate.ticket("std", "cancelled"))) == "canceled"
    assert reason(gate.scan(vip_later, gate.ticket("std", "rejected"))) == "canceled"
    assert reason(gate.scan(vip_later, gate.ticket("std", "pending_approval"))) == "unapproved"
    assert reason(gate.scan(vip_later, gate.ticket("std"))) == "product"
    assert reason(gate.scan(vip_later, gate.ticket("vip"))) == "invalid_time"


def test_a_forged_code_is_invalid_even_forced(gate):
    door, ticket = gate.door(), gate.ticket()
    forged = {"secret": ticket["secret"][:-2] + ("AA" if not ticket["secret"].endswith("AA") else "BB")}
    answer = gate.scan(door, forged, force=True)
    assert answer.status == 404 and reason(answer) == "invalid"


def test_force_admits_a_refused_ticket_and_marks_it(gate):
    door, ticket = gate.door(), gate.ticket("std", "cancelled")
    answer = gate.scan(door, ticket, force=True)
    assert reason(answer) == "ok" and answer.body["checkin"]["forced"] is True


def test_an_exit_is_always_admitted_even_after_a_cancel_or_outside_the_window(db, gate):
    door = gate.door(valid_until=gate.hours.at("3:00"))  # closed an hour ago
    ticket = gate.ticket()
    assert reason(gate.scan(door, ticket, scanned_at=gate.hours.at("1:00"))) == "invalid_time"  # judged now
    moves.apply_move(db, gate.event["id"], ticket["id"], "cancel")
    assert reason(gate.scan(door, ticket, "exit")) == "ok"


@pytest.mark.parametrize("flags,second_entry", [
    ({"allow_entry_after_exit": True}, "ok"),
    ({"allow_entry_after_exit": False}, "already_redeemed"),
    ({"allow_multiple_entries": True, "allow_entry_after_exit": False}, "ok"),
])
def test_re_entry_after_an_exit_follows_the_list(gate, flags, second_entry):
    door, ticket = gate.door(**flags), gate.ticket()
    assert [reason(gate.scan(door, ticket, t)) for t in ("entry", "exit", "entry")] == ["ok", "ok", second_entry]


def test_a_waitlisted_ticket_is_unapproved_with_its_own_message(db, new_event, register):
    day = dates.DoorDay()
    created = new_event(capacity=1, waitlist=True, **day.event_fields())
    register(created["id"])
    waiting = moves.get(db, created["id"], register(created["id"])["id"])
    pending_event = new_event(requires_approval=True, **day.event_fields())
    pending = moves.get(db, pending_event["id"], register(pending_event["id"])["id"])
    answers = []
    for event_id, registration in ((created["id"], waiting), (pending_event["id"], pending)):
        door = scan.door(db, event_id, lists.create(db, event_id, {"name": "Gate"})["id"], "unit-token", "en")
        answers.append(scan.perform(db, door, scan.ScanRequest(issuing.secret_for(registration), "entry")))
    assert [reason(a) for a in answers] == ["unapproved", "unapproved"]
    assert answers[0].body["message"] != answers[1].body["message"]  # "on the waiting list" vs "wait for approval"
