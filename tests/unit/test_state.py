"""chalicelib/checkin/state.py: whether a ticket may enter again, and what one successful scan does to
its door state on a list. Pure: no storage.

Makes the state rules of tests/checkin/test_scans.py (test_exits_and_re_entry,
test_multiple_entries_count_one_ticket, test_a_late_older_exit_does_not_undo_a_newer_entry) redundant
as far as the decision goes; those still prove the HTTP answer and the stored counts.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from chalicelib.checkin import state
from tests import dates

ONCE = {"allow_multiple_entries": False, "allow_entry_after_exit": False}
RE_ENTRY = {"allow_multiple_entries": False, "allow_entry_after_exit": True}
MULTIPLE = {"allow_multiple_entries": True, "allow_entry_after_exit": False}

DAY = dates.DoorDay()


def scans(*steps: tuple[str, str]) -> list[state.Change]:
    """Apply (type, h:mm after opening) scans in the given (arrival) order; every change made."""
    changes, current = [], None
    for n, (scan_type, since_opening) in enumerate(steps):
        change = state.apply(current, scan_type, DAY.at(since_opening), DAY.at(f"5:{n:02d}"))
        changes.append(change)
        current = change.state
    return changes


@pytest.mark.parametrize("checkin_list", [ONCE, RE_ENTRY, MULTIPLE])
def test_a_ticket_never_scanned_may_enter_on_any_list(checkin_list):
    assert state.entry_allowed(None, checkin_list)
    assert state.entry_allowed(dict(state.EMPTY), checkin_list)


def test_a_second_entry_needs_multiple_entries_or_an_exit_in_between():
    inside = scans(("entry", "0:10"))[-1].state
    went_out = scans(("entry", "0:10"), ("exit", "1:00"))[-1].state
    assert not state.entry_allowed(inside, ONCE)
    assert not state.entry_allowed(inside, RE_ENTRY)
    assert state.entry_allowed(inside, MULTIPLE)
    assert state.entry_allowed(went_out, RE_ENTRY)
    assert not state.entry_allowed(went_out, ONCE)


def test_the_first_entry_counts_the_ticket_and_puts_it_inside():
    change = scans(("entry", "0:10"))[0]
    assert change.first_entry and change.inside_delta == 1
    assert change.state["entries"] == 1 and change.state["exits"] == 0 and change.state["inside"] is True
    assert change.state["first_at"] == DAY.at("0:10") and change.state["last_type"] == "entry"
    assert change.state["version"] == 1


def test_entries_after_the_first_count_the_ticket_once():
    first, exit_, again = scans(("entry", "0:10"), ("exit", "1:00"), ("entry", "2:00"))
    assert [c.first_entry for c in (first, exit_, again)] == [True, False, False]
    assert [c.inside_delta for c in (first, exit_, again)] == [1, -1, 1]
    assert again.state["entries"] == 2 and again.state["exits"] == 1
    assert again.state["first_at"] == DAY.at("0:10")
    assert [c.state["version"] for c in (first, exit_, again)] == [1, 2, 3]


def test_a_late_upload_of_an_older_exit_does_not_undo_a_newer_entry():
    entry, late_exit = scans(("entry", "2:00"), ("exit", "1:00"))
    assert late_exit.state["exits"] == 1 and late_exit.state["inside"] is True
    assert late_exit.inside_delta == 0
    assert late_exit.state["last_type"] == "entry" and late_exit.state["last_scanned_at"] == DAY.at("2:00")
    assert late_exit.state["last_at"] == DAY.at("5:01")  # the arrival is still recorded
    assert entry.state["version"] < late_exit.state["version"]


def test_an_earlier_entry_uploaded_late_becomes_the_first_entry():
    _, earlier = scans(("entry", "2:00"), ("entry", "0:30"))
    assert earlier.state["first_at"] == DAY.at("0:30")
    assert not earlier.first_entry and earlier.inside_delta == 0
    assert earlier.state["last_scanned_at"] == DAY.at("2:00")


def test_an_exit_of_a_ticket_never_seen_inside_changes_no_inside_count():
    change = scans(("exit", "1:00"))[0]
    assert change.inside_delta == 0 and not change.first_entry
    assert change.state["exits"] == 1 and change.state["inside"] is False and "first_at" not in change.state


def test_scan_times_in_other_offsets_are_compared_as_moments():
    entry = state.apply(None, "entry", DAY.at("1:00"), DAY.at("5:00"))
    # Half an hour earlier, written with Baku's +04:00: as text it sorts after the entry's +03:00.
    earlier = dates.iso(DAY.moment("0:30").astimezone(ZoneInfo("Asia/Baku")))
    assert earlier > entry.state["last_scanned_at"]
    late_exit = state.apply(entry.state, "exit", earlier, DAY.at("5:01"))
    assert late_exit.state["inside"] is True and late_exit.inside_delta == 0


def test_applying_never_changes_the_state_it_was_given():
    before = scans(("entry", "0:10"))[0].state
    snapshot = dict(before)
    state.apply(before, "exit", DAY.at("1:00"), DAY.at("5:00"))
    assert before == snapshot and state.EMPTY == {"entries": 0, "exits": 0, "inside": False, "version": 0}
