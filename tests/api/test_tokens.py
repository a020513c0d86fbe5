"""Tokens: 401 without a valid one, 403 for the wrong role or event, stored hashed."""
import uuid


def make_token(api, role, events=(), token=None):
    response = api.post("/api/tokens", json={"role": role, "events": list(events), "label": "gate"},
                        token=token or api.admin_token)
    assert response.status_code == 201, response.text
    return response.json()


def test_missing_and_unknown_tokens_are_401(api, make_event):
    event = make_event()
    assert api.get(f"/api/events/{event['id']}/registrations/x").status_code == 401
    bad = api.get(f"/api/events/{event['id']}/registrations/x", token="kapi_aaaaaaaaaaaaaaaa_" + "x" * 43)
    assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"


def test_scope_and_role_give_403(api, make_event):
    mine, other = make_event(), make_event()
    organiser = make_token(api, "organiser", [mine["id"]])["token"]
    assert api.patch(f"/api/events/{mine['id']}", json={"venue": "İzmir"}, token=organiser).status_code == 200
    denied = api.patch(f"/api/events/{other['id']}", json={"venue": "İzmir"}, token=organiser)
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
    scanner = make_token(api, "scanner", [mine["id"]], token=organiser)["token"]
    assert api.patch(f"/api/events/{mine['id']}", json={"venue": "x"}, token=scanner).status_code == 403


def test_only_admins_make_organiser_tokens_and_organisers_stay_in_scope(api, make_event):
    event = make_event()
    organiser = make_token(api, "organiser", [event["id"]])["token"]
    assert api.post("/api/tokens", json={"role": "organiser", "events": [event["id"]]}, token=organiser).status_code == 403
    outside = api.post("/api/tokens", json={"role": "scanner", "events": ["someone-else"]}, token=organiser)
    assert outside.status_code == 403
    invalid = api.post("/api/tokens", json={"role": "scanner", "events": []}, token=api.admin_token)
    assert invalid.status_code == 400 and invalid.json()["details"][0]["field"] == "events"
    wrong_role = api.post("/api/tokens", json={"role": "root"}, token=api.admin_token)
    assert wrong_role.status_code == 400 and wrong_role.json()["details"][0]["field"] == "role"
    unknown = api.post("/api/tokens", json={"role": "admin", "expires": "never"}, token=api.admin_token)
    assert unknown.status_code == 400 and unknown.json()["details"][0]["field"] == "expires"


def test_token_is_stored_hashed_and_revocation_works(db, api, make_event):
    event = make_event()
    created = make_token(api, "organiser", [event["id"]])
    record = db.Token.get(created["id"])
    secret = created["token"].removeprefix(f"kapi_{created['id']}_")  # the secret itself may contain "_"
    assert len(secret) == 43 and secret not in str(record.attribute_values)
    assert api.get(f"/api/events/{event['id']}", token=created["token"]).status_code == 200
    assert api.delete(f"/api/tokens/{created['id']}", token=api.admin_token).status_code == 204
    assert api.get(f"/api/events/{event['id']}", token=created["token"]).status_code == 401
    assert api.delete(f"/api/tokens/{uuid.uuid4().hex[:16]}", token=api.admin_token).status_code == 404
