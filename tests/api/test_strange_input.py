"""Strange input a new user can send in a minute: each is a 4xx in the spec's error shape, never a 500."""
import pytest

from tests.api.test_tokens import make_token
from tests.data import registration_body


def spec_error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "details"} and isinstance(body["details"], list)
    return body


def test_a_name_of_5000_digits_is_a_validation_error(api, make_event):
    event = make_event()
    raw = registration_body(name="NAME")
    text = __import__("json").dumps(raw).replace('"NAME"', "9" * 5000)
    response = api.post(f"/api/events/{event['id']}/registrations", data=text.encode(),
                        headers={"Content-Type": "application/json"})
    assert spec_error(response, 400)["details"][0]["field"] == "body"


@pytest.mark.parametrize("depth", [30_000, 100])
def test_deeply_nested_json_under_the_size_limit_is_refused(api, make_event, depth):
    event = make_event()
    body = b'{"answers": ' + b"[" * depth + b"]" * depth + b"}"
    assert len(body) < 64 * 1024
    response = api.post(f"/api/events/{event['id']}/registrations", data=body,
                        headers={"Content-Type": "application/json"})
    assert spec_error(response, 400)["details"][0]["field"] == "body"


def test_empty_path_segments_are_not_found(api, make_event):
    event = make_event()
    scanner = make_token(api, "scanner", [event["id"]])["token"]
    base = f"/api/events/{event['id']}/checkin-lists/"
    for method, path, token in [("POST", base + "/scans", scanner), ("POST", base + "/scans/batch", scanner),
                                ("GET", base + "/status", scanner), ("GET", base + "/search?q=abc", scanner),
                                ("GET", "/api/events//attendance", api.admin_token),
                                ("GET", "/api/events//registrations", api.admin_token)]:
        response = api.request(method, path, token=token, json={"secret": "X"} if method == "POST" else None)
        assert spec_error(response, 404)["error"] == "not_found", (method, path)
