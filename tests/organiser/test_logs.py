"""Request logs: one JSON object per request, with route, status and latency, and no personal data."""
import json
import time

from tests.data import registration_body
from tests.organiser.traces import person

FIELDS = {"msg", "request_id", "method", "route", "status", "ms"}


def test_one_json_line_per_request_without_personal_data(api, local_run, make_event):
    event = make_event()
    name, email = person()
    name = f"Çağrı Güneş {name}"
    start = len(local_run.lines)
    created = api.post(f"/api/events/{event['id']}/registrations", json=registration_body(name=name, email=email))
    assert created.status_code == 201
    api.get(f"/api/events/{event['id']}/registrations", params={"q": name}, token=api.admin_token)
    api.get(f"/api/events/{event['id']}/registrations/{created.json()['id']}", token=api.admin_token)
    api.get("/api/events/no-such-event")
    time.sleep(1.0)  # the mail worker sends the ticket meanwhile; its output is checked too

    lines = [json.loads(line) for line in "".join(local_run.lines[start:]).splitlines()]  # all JSON
    requests = [line for line in lines if line["msg"] == "request"]
    assert len(requests) >= 4
    for line in requests:
        assert set(line) == FIELDS and line["msg"] == "request" and isinstance(line["ms"], float)
        assert len(line["request_id"]) >= 16 and line["method"] in ("GET", "POST")
    routes = [(line["method"], line["route"], line["status"]) for line in requests]
    assert ("POST", "/api/events/{event_id}/registrations", 201) in routes
    assert ("GET", "/api/events/{event_id}/registrations", 200) in routes
    assert ("GET", "/api/events/{event_id}", 404) in routes
    for secret in (name, email, email.lower(), email.split("@")[0], "Güneş", "gunes"):
        assert secret.casefold() not in local_run.output().casefold()


def test_every_organiser_action_is_one_line_with_the_acting_token(api, local_run, make_event):
    """SPEC §16: cancel, erase, export, reissue, PATCH and token create/revoke name the token that acted."""
    event = make_event()
    made = api.post("/api/tokens", json={"role": "organiser", "events": [event["id"]]}, token=api.admin_token).json()
    organiser = made["token"]
    name, email = person()
    registered = [api.post(f"/api/events/{event['id']}/registrations",
                           json=registration_body(name=f"{name} {i}", email=f"{i}.{email}")).json()["id"] for i in (1, 2)]
    start = len(local_run.lines)
    base = f"/api/events/{event['id']}"
    assert api.patch(base, json={"venue": "Kültürpark, İzmir"}, token=organiser).status_code == 200
    assert api.get(f"{base}/registrations.csv", token=organiser).status_code == 200
    assert api.post(f"{base}/registrations/{registered[0]}/reissue", token=organiser).status_code == 200
    assert api.post(f"{base}/registrations/{registered[0]}/cancel", token=organiser).status_code == 200
    assert api.delete(f"{base}/registrations/{registered[0]}", token=organiser).status_code == 204
    scanner = api.post("/api/tokens", json={"role": "scanner", "events": [event["id"]]}, token=organiser).json()
    assert api.delete(f"/api/tokens/{scanner['id']}", token=organiser).status_code == 204
    refused = api.post(f"{base}/registrations/{registered[1]}/approve", token=organiser)
    assert refused.status_code == 409
    time.sleep(0.5)

    lines = [json.loads(line) for line in "".join(local_run.lines[start:]).splitlines()]
    actions = [line for line in lines if line["msg"] == "action"]
    assert [(line["action"], line["status"]) for line in actions] == [
        ("event.patch", 200), ("registration.export", 200), ("registration.reissue", 200),
        ("registration.cancel", 200), ("registration.erase", 204), ("token.create", 201), ("token.revoke", 204),
        ("registration.approve", 409)]
    assert {line["token_id"] for line in actions} == {made["id"]}
    assert all(line["event_id"] == event["id"] for line in actions if "event_id" in line)
    assert actions[3]["registration_id"] == registered[0]
    assert actions[5]["created_token_id"] == scanner["id"]
    assert actions[6]["target_token_id"] == scanner["id"] and actions[6]["revoked_token_ids"] == [scanner["id"]]
    for secret in (name, email, organiser, organiser.rsplit("_", 1)[1], "Kültürpark"):
        assert secret.casefold() not in "".join(local_run.lines[start:]).casefold()
