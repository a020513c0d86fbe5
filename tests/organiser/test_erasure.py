"""Erasing personal data on request (DELETE) and by retention: no trace left, counts unchanged."""
import uuid

from chalicelib.events import counters
from chalicelib.organiser import retention
from chalicelib.registration import actions
from chalicelib.storage.models import Event
from tests import dates
from tests.api.test_tokens import make_token
from tests.data import registration_body
from tests.organiser.traces import containing, person, stored_items, traces

BAKU = "Asia/Baku"
FORM = {"type": "object", "properties": {"phone": {"type": "string"}}, "additionalProperties": False}


def register(api, event_id, **fields):
    name, email = person()
    response = api.post(f"/api/events/{event_id}/registrations", headers={"Idempotency-Key": str(uuid.uuid4())},
                        json=registration_body(name=name, email=email, **fields))
    assert response.status_code == 201, response.text
    phone = fields.get("answers", {}).get("phone")
    return response.json(), traces(name, email) | ({phone} if phone else set())  # not "None": ids can hold "none"


def test_delete_leaves_no_trace_in_any_table_and_keeps_counts(db, api, make_day):
    day = make_day(form=FORM, capacity=5)
    event = day.event
    kept, kept_traces = register(api, event["id"], answers={"phone": "+994 50 111 22 33"})
    erased, erased_traces = register(api, event["id"], answers={"phone": "+90 532 444 55 66"})
    assert containing(stored_items(), erased_traces)  # the check can see them before
    gate = day.make_list("Ana kapı")
    day.scan(gate, erased, "entry", "0:30")
    base = f"/api/events/{event['id']}/registrations"
    refused = api.delete(f"{base}/{erased['id']}", token=api.admin_token, headers={"Accept-Language": "tr"})
    assert refused.status_code == 409 and refused.json()["error"] == "invalid_state"  # it holds a seat
    assert refused.json()["message"].startswith("Önce bu kaydı iptal edin")
    assert containing(stored_items(), erased_traces)
    assert api.post(f"{base}/{erased['id']}/cancel", token=api.admin_token).status_code == 200
    before, attendance = counters.read(db, event["id"]), day.attendance()

    response = api.delete(f"{base}/{erased['id']}", token=api.admin_token)
    assert response.status_code == 204 and response.content == b""
    after = stored_items()
    assert containing(after, erased_traces) == []
    assert containing(after, kept_traces)  # the neighbour is untouched
    assert counters.read(db, event["id"]) == before and day.attendance() == attendance

    view = api.get(f"{base}/{erased['id']}", token=api.admin_token).json()
    assert view["erased"] is True and view["name"] is None and view["email"] is None and view["answers"] == {}
    assert (view["id"], view["status"], view["ticket_type"]) == (erased["id"], "cancelled", erased["ticket_type"])
    assert view["checkins"][gate["id"]]["entries"] == 1 and view["checkins"][gate["id"]]["inside"] is True
    for needle in erased_traces:
        assert needle.casefold() not in api.get(base, params={"limit": "500"}, token=api.admin_token).text.casefold()
        assert needle.casefold() not in api.get(f"{base}.csv", token=api.admin_token).text.casefold()
    assert api.get(base, params={"q": erased["name"]}, token=api.admin_token).json()["items"] == []
    assert api.get(base, params={"q": kept["name"]}, token=api.admin_token).json()["items"][0]["id"] == kept["id"]

    assert api.delete(f"{base}/{erased['id']}", token=api.admin_token).status_code == 204  # twice: fine
    assert counters.read(db, event["id"]) == before
    assert api.post(f"{base}/{erased['id']}/resend", token=api.admin_token).json()["error"] == "invalid_state"


def test_erasing_frees_the_email_and_leaves_other_registrations_claims_alone(db, api, make_event):
    event = make_event()
    name, email = person()
    first = api.post(f"/api/events/{event['id']}/registrations",
                     json=registration_body(name=name, email=email)).json()
    actions.apply(db, event["id"], first["id"], "cancel")  # releases the email claim
    second = api.post(f"/api/events/{event['id']}/registrations",
                      json=registration_body(name=name, email=email)).json()
    assert second["status"] == "confirmed"
    base = f"/api/events/{event['id']}/registrations"
    assert api.delete(f"{base}/{first['id']}", token=api.admin_token).status_code == 204
    again = api.post(base, json=registration_body(name=name, email=email.upper()))
    assert again.status_code == 409 and again.json()["error"] == "already_registered"  # second's claim holds
    assert api.delete(f"{base}/{second['id']}", token=api.admin_token).status_code == 409  # active: cancel first


def test_delete_needs_an_organiser_of_the_event_and_a_registration_of_it(api, make_event):
    event, other = make_event(), make_event()
    rid = api.post(f"/api/events/{event['id']}/registrations", json=registration_body()).json()["id"]
    assert api.delete(f"/api/events/{event['id']}/registrations/{rid}").status_code == 401
    scanner = make_token(api, "scanner", [event["id"]])["token"]
    assert api.delete(f"/api/events/{event['id']}/registrations/{rid}", token=scanner).status_code == 403
    assert api.delete(f"/api/events/{other['id']}/registrations/{rid}", token=api.admin_token).status_code == 404
    assert api.delete(f"/api/events/{event['id']}/registrations/nosuch", token=api.admin_token).status_code == 404
    assert api.get(f"/api/events/{event['id']}/registrations/{rid}", token=api.admin_token).json()["erased"] is False


def test_retention_erases_an_event_long_over_and_marks_it(db, api, make_event):
    due = make_event(form=FORM, retention_days=30)
    fresh = make_event(retention_days=3650)
    made = [register(api, due["id"], answers={"phone": f"+90 555 000 00 0{i}"}) for i in range(3)]
    waiting = register(api, fresh["id"])
    past = {"starts_at": dates.day_at(-60, "10:00", BAKU), "ends_at": dates.day_at(-60, "18:00", BAKU)}  # 60 days ago
    for event in (due, fresh):
        assert api.patch(f"/api/events/{event['id']}", json=past, token=api.admin_token).status_code == 200
    before = counters.read(db, due["id"])
    api.delete(f"/api/events/{due['id']}/registrations/{made[0][0]['id']}", token=api.admin_token)

    cut_short = retention.erase_due(db, budget_seconds=0)  # a run out of time marks nothing
    assert cut_short["complete"] is False or due["id"] not in cut_short["events_finished"]
    retention.erase_due(db)

    assert db.Event.get(due["id"]).personal_data_erased_at is not None
    assert db.Event.get(fresh["id"]).personal_data_erased_at is None
    after = stored_items()
    assert containing(after, set().union(*(t for _, t in made))) == []
    assert containing(after, waiting[1])
    assert counters.read(db, due["id"]) == before
    listed = api.get(f"/api/events/{due['id']}/registrations", token=api.admin_token).json()["items"]
    assert [r["erased"] for r in listed] == [True] * 3 and {r["status"] for r in listed} == {"confirmed"}
    assert due["id"] not in [e.id for e in retention.started_events(db, retention.clock.now())]


def test_one_bad_event_never_stops_the_retention_run(db, api, make_event):
    """An event stored before its dates were bounded (ends in year 9999: its due date overflows)
    and one whose erasure fails must not keep the other due events' personal data."""
    due = make_event(retention_days=1)
    made = register(api, due["id"])
    past = {"starts_at": dates.day_at(-30, "10:00"), "ends_at": dates.day_at(-30, "18:00")}
    assert api.patch(f"/api/events/{due['id']}", json=past, token=api.admin_token).status_code == 200
    legacy = db.Event.get(make_event()["id"])
    legacy.update(actions=[Event.doc.set({**legacy.doc, "ends_at": "9999-12-31T23:59:59-12:00"}),
                           Event.starts_at.set("2000-01-01T00:00:00+00:00")])
    broken = db.Event.get(make_event(retention_days=1)["id"])
    broken.update(actions=[Event.doc.set({**broken.doc, **past, "ends_at": "not a time"}),
                           Event.starts_at.set(past["starts_at"])])

    try:
        report = retention.erase_due(db)
    finally:  # stored records the API would refuse must not reach the other tests' event lists
        legacy.delete()
        broken.delete()

    assert due["id"] in report["events_finished"] and report["complete"] is True
    assert containing(stored_items(), made[1]) == []
    assert {legacy.id, broken.id} <= set(report["events_failed"])
