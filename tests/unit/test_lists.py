"""chalicelib/checkin/lists.py: the rules a check-in list applies to a ticket (which ticket types, which
hours). Pure.

The rules behind tests/checkin/test_scans.py::test_a_ticket_type_the_list_does_not_admit_is_product and
::test_time_window_refuses_entries_but_accepts_exits; those still prove the scan's answer.
"""
from __future__ import annotations

from datetime import timedelta

from chalicelib.checkin import lists
from tests import dates
from tests.unit.conftest import event

DAY = dates.DoorDay()
TYPES = [{"id": "std", "name": {"en": "Standard"}}, {"id": "vip", "name": {"en": "VIP"}},
         {"id": "press", "name": {"en": "Press"}}]


def a_list(**fields) -> dict:
    return {"ticket_types": [], "valid_from": None, "valid_until": None, **fields}


def test_a_list_without_ticket_types_admits_every_type():
    assert lists.admits(a_list(), "anything")
    assert lists.admitted_types(a_list(), event(ticket_types=TYPES)) == ["std", "vip", "press"]


def test_a_list_of_ticket_types_admits_those_in_the_events_order():
    vip_gate = a_list(ticket_types=["press", "vip"])
    assert lists.admits(vip_gate, "vip") and not lists.admits(vip_gate, "std")
    assert lists.admitted_types(vip_gate, event(ticket_types=TYPES)) == ["vip", "press"]


def test_the_validity_window_includes_both_ends():
    window = a_list(valid_from=DAY.at("1:00"), valid_until=DAY.at("3:00"))
    assert lists.open_at(window, DAY.moment("1:00")) and lists.open_at(window, DAY.moment("3:00"))
    assert not lists.open_at(window, DAY.moment("0:59")) and not lists.open_at(window, DAY.moment("3:01"))


def test_an_open_ended_window():
    assert lists.open_at(a_list(), DAY.moment("0:00") - timedelta(days=400))
    from_one = a_list(valid_from=DAY.at("1:00"))
    assert lists.open_at(from_one, DAY.moment("11:00")) and not lists.open_at(from_one, DAY.moment("0:30"))


def test_the_window_compares_moments_not_text():
    window = a_list(valid_from=dates.iso(DAY.moment("1:00").astimezone(dates.now("Asia/Baku").tzinfo)))
    assert lists.open_at(window, DAY.moment("1:00"))
    assert not lists.open_at(window, DAY.moment("0:59"))
