"""chalicelib/checkin/counts.py: a list's door figures and the hour an arrival is counted in. Pure.

The arithmetic behind tests/checkin/test_scans.py::test_status_counts_by_ticket_type; that test still
proves the counts the scans' transactions write.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.checkin import counts
from tests.unit.conftest import event

TYPES = [{"id": "std", "name": {"en": "Standard"}}, {"id": "vip", "name": {"en": "VIP"}}]


def test_a_lists_figures_count_confirmed_tickets_of_the_types_it_admits():
    registered = {"confirmed__std": 5, "confirmed__vip": 2, "waitlisted__std": 4, "pending_approval__vip": 1}
    door = {"checkin_count": 3, "checkin_count__std": 2, "checkin_count__vip": 1, "inside_count": 2,
            "inside_count__std": 2}
    all_types = counts.figures(event(ticket_types=TYPES), {"ticket_types": []}, registered, door)
    assert all_types == {"position_count": 7, "checkin_count": 3, "inside_count": 2, "by_ticket_type": {
        "std": {"position_count": 5, "checkin_count": 2, "inside_count": 2},
        "vip": {"position_count": 2, "checkin_count": 1, "inside_count": 0}}}
    vip_only = counts.figures(event(ticket_types=TYPES), {"ticket_types": ["vip"]}, registered,
                              {"checkin_count__vip": 1, "checkin_count": 1})
    assert vip_only["position_count"] == 2 and list(vip_only["by_ticket_type"]) == ["vip"]


def test_a_list_nobody_scanned_yet_shows_zeros():
    figures = counts.figures(event(), {"ticket_types": []}, {}, {})
    assert figures == {"position_count": 0, "checkin_count": 0, "inside_count": 0,
                       "by_ticket_type": {"general": {"position_count": 0, "checkin_count": 0, "inside_count": 0}}}


def test_arrivals_are_counted_in_the_events_own_hours():
    moment = datetime.now(timezone.utc).replace(hour=20, minute=30, second=0, microsecond=0)
    # Neither zone has summer time: İstanbul is UTC+3 (23:30, same day), Baku UTC+4 (00:30, next day).
    istanbul = (moment + timedelta(hours=3)).strftime("%Y%m%d23")
    baku = (moment + timedelta(hours=4)).strftime("%Y%m%d00")
    assert counts.hour_key(moment, "Europe/Istanbul") == f"arrivals__{istanbul}"
    assert counts.hour_key(moment, "Asia/Baku") == f"arrivals__{baku}"
    assert counts.hour_key(moment, "UTC") == "arrivals__" + moment.strftime("%Y%m%d20")
