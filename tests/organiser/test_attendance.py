"""Attendance after a scripted day, and its cost: the same number of reads at 10 and at 2,000 attendees."""
from collections import Counter
from unittest import mock

import botocore.client

from chalicelib.organiser import attendance

TYPES = [{"id": "std", "name": {"en": "Standard"}}, {"id": "vip", "name": {"en": "VIP"}}]
READS = {"GetItem", "Query", "BatchGetItem"}


def test_counts_after_a_scripted_day(make_day):
    day = make_day(requires_approval=True, capacity=5, waitlist=True, ticket_types=TYPES)
    names = ["Ayşe Demir", "Rəşad Həsənov", "Günel Məmmədova", "Ömer Çelik", "Leyla Quliyeva",
             "İbrahim Şahin", "Nərmin Əliyeva", "Uğur Yılmaz"]
    types = ["std", "std", "vip", "std", "vip", "std", "vip", "std"]
    r = [day.register(name, tt) for name, tt in zip(names, types)]
    assert [x["status"] for x in r[:7]] == ["pending_approval"] * 5 + ["waitlisted"] * 2
    for x in r[:3]:
        day.move(x, "approve")
    day.move(r[3], "reject")   # frees a seat: r[5] moves up from the waitlist
    day.move(r[1], "cancel")   # and r[6]
    # r[7] registered while r[5] and r[6] were still waiting: the waitlist
    # confirmed: r0 std, r2 vip, r5 std, r6 vip; pending r4; waitlisted r7; cancelled r1; rejected r3
    main, lounge = day.make_list("Ana kapı"), day.make_list("VIP salonu", ["vip"])
    day.scan(main, r[0], "entry", "0:05")
    day.scan(main, r[2], "entry", "0:20")
    day.scan(main, r[2], "exit", "1:10")
    day.scan(main, r[5], "entry", "1:30")
    day.scan(main, r[2], "entry", "1:45")   # back in after an exit
    day.scan(lounge, r[2], "entry", "2:00")
    day.scan(main, r[5], "exit", "3:00")
    day.scan(main, r[1], "entry", "3:10", expect=400)    # cancelled: refused, counts nothing
    day.scan(lounge, r[0], "entry", "3:20", expect=400)  # standard ticket at the VIP lounge
    day.scan(main, r[0], "entry", "3:30", expect=400)    # already inside

    report = day.attendance()
    assert report["registrations"] == {"confirmed": 4, "waitlisted": 1, "pending_approval": 1,
                                       "cancelled": 1, "rejected": 1}
    assert report["lists"] == [
        {"id": main["id"], "name": "Ana kapı", "position_count": 4, "checkin_count": 3, "inside_count": 2,
         "by_ticket_type": {"std": {"position_count": 2, "checkin_count": 2, "inside_count": 1},
                            "vip": {"position_count": 2, "checkin_count": 1, "inside_count": 1}}},
        {"id": lounge["id"], "name": "VIP salonu", "position_count": 2, "checkin_count": 1, "inside_count": 1,
         "by_ticket_type": {"vip": {"position_count": 2, "checkin_count": 1, "inside_count": 1}}},
    ]
    assert report["no_show"] == 1  # r6: confirmed, never entered anywhere
    assert report["arrivals"] == [{"hour": day.hours.hour(0), "entries": 2},
                                  {"hour": day.hours.hour(1), "entries": 2},
                                  {"hour": day.hours.hour(2), "entries": 1}]
    assert report["offline_conflicts"] == 0  # forced online scans are not offline conflicts


def test_arrival_hours_are_in_the_events_own_zone(make_day):
    day = make_day(timezone="Asia/Baku", ticket_types=TYPES)
    gate = day.make_list("Giriş")
    guest = day.register("Fərid Novruzov", "std")
    # 59 minutes after opening, written in İzmir's offset: an hour earlier on İzmir's clock than Baku's
    day.scan(gate, guest, "entry", "0:59", zone="Europe/Istanbul")
    assert day.attendance()["arrivals"] == [{"hour": day.hours.hour(0), "entries": 1}]
    assert day.hours.hour(0).endswith("+04:00")


def test_an_event_without_lists_or_registrations(api, make_day):
    day = make_day()
    assert day.attendance() == {"registrations": {"confirmed": 0, "waitlisted": 0, "pending_approval": 0,
                                                  "cancelled": 0, "rejected": 0},
                                "lists": [], "no_show": 0, "arrivals": [], "offline_conflicts": 0}
    assert api.get(f"{day.base}/attendance").status_code == 401
    assert api.get(f"{day.base}/attendance", token=day.scanner).status_code == 403
    assert api.get("/api/events/no-such-event/attendance", token=api.admin_token).status_code == 404


def dynamodb_calls(function, *args):
    """What `function` asks DynamoDB, by operation, counted at botocore's single exit point."""
    calls = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            calls[operation] += 1
        return original(client, operation, params)
    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", counting):
        result = function(*args)
    return calls, result


def test_reads_do_not_grow_with_attendees(db, make_day, populate):
    calls, lists = {}, 2
    for size in (10, 2000):
        day = make_day(ticket_types=TYPES)
        for n in range(lists):
            day.make_list(f"Kapı {n}")
        populate(day.event["id"], size, ticket_type="std")
        calls[size], report = dynamodb_calls(attendance.report, db, day.event["id"])
        assert report["registrations"]["confirmed"] == size == report["lists"][0]["position_count"]
        assert report == day.attendance()
    print(f"attendance reads at 10 and 2,000 registrations: {dict(calls[10])}, {dict(calls[2000])}")
    assert calls[10] == calls[2000]
    # the event, its lists, the registration counter shards, and every list's shards in one batch
    assert set(calls[10]) <= READS and sum(calls[10].values()) == 4
