"""The API the dashboard adds: the events a token may manage, and an event's tokens without secrets."""
from tests.api.test_tokens import make_token


def test_an_organiser_sees_its_own_events_drafts_included_and_an_admin_sees_all(api, make_event):
    mine, draft, other = make_event(), make_event(status="draft"), make_event()
    organiser = make_token(api, "organiser", [mine["id"], draft["id"]])["token"]
    answer = api.get("/api/me/events", token=organiser)
    assert answer.status_code == 200
    assert answer.json()["role"] == "organiser"
    assert {e["id"]: e["status"] for e in answer.json()["items"]} == {mine["id"]: "published", draft["id"]: "draft"}
    assert set(answer.json()["items"][0]) == {"id", "name", "status", "venue", "starts_at", "ends_at", "timezone"}
    everything = {e["id"] for e in api.get("/api/me/events", token=api.admin_token).json()["items"]}
    assert {mine["id"], draft["id"], other["id"]} <= everything


def test_a_scanner_token_may_not_list_events_and_no_token_is_401(api, make_event):
    event = make_event()
    scanner = make_token(api, "scanner", [event["id"]])["token"]
    denied = api.get("/api/me/events", token=scanner)
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
    assert api.get("/api/me/events").status_code == 401


def test_an_events_tokens_are_listed_without_secrets_newest_first_and_revocation_shows(api, make_event):
    event, other = make_event(), make_event()
    organiser = make_token(api, "organiser", [event["id"]])["token"]
    first = make_token(api, "scanner", [event["id"]], token=organiser)
    second = make_token(api, "scanner", [event["id"], other["id"]])
    make_token(api, "scanner", [other["id"]])
    listed = api.get("/api/tokens", params={"event": event["id"]}, token=organiser)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [item["id"] for item in items if item["role"] == "scanner"] == [second["id"], first["id"]]
    assert all(set(item) == {"id", "role", "label", "created_at", "revoked"} for item in items)
    secret = second["token"].removeprefix(f"kapi_{second['id']}_")  # may itself hold "_" (urlsafe base64)
    assert len(secret) == 43 and first["token"] not in listed.text and secret not in listed.text
    assert api.delete(f"/api/tokens/{first['id']}", token=organiser).status_code == 204
    after = {item["id"]: item["revoked"] for item in api.get("/api/tokens", params={"event": event["id"]},
                                                             token=organiser).json()["items"]}
    assert after[first["id"]] is True and after[second["id"]] is False
    assert api.get("/api/tokens", params={"event": other["id"]}, token=organiser).status_code == 403
    missing = api.get("/api/tokens", token=organiser)
    assert missing.status_code == 400 and missing.json()["details"][0]["field"] == "event"
