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
