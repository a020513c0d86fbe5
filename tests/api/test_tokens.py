"""Tokens: 401 without a valid one, 403 for the wrong role or event, stored hashed; they age, follow their
maker, and sign a scanner in by a single-use code."""
import time
import uuid
from datetime import datetime, timedelta

from chalicelib.access import sign_in
from chalicelib.i18n import translate
from tests import dates


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


# SPEC §16 "Tokens age and follow their maker" and "Door sign-in without the token in a URL".

def test_an_expired_token_is_401(db, api, make_event):
    event = make_event()
    created = make_token(api, "organiser", [event["id"]])
    assert created["expires_at"] is None  # organiser tokens last until revoked unless told otherwise
    record = db.Token.get(created["id"])  # not used yet, so no process holds it in its cache
    record.update([db.Token.expires_at.set(dates.from_now("UTC", minutes=-1))])
    refused = api.get(f"/api/events/{event['id']}", token=created["token"])
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    assert refused.json()["message"] == translate("error.token.expired", "en")

    asked = api.post("/api/tokens", json={"role": "organiser", "events": [event["id"]],
                                          "expires_at": dates.from_now(hours=2)}, token=api.admin_token)
    assert asked.status_code == 201
    assert datetime.fromisoformat(asked.json()["expires_at"]) == datetime.fromisoformat(dates.from_now(hours=2))
    assert api.get(f"/api/events/{event['id']}", token=asked.json()["token"]).status_code == 200
    past = api.post("/api/tokens", json={"role": "organiser", "expires_at": dates.from_now(days=-1)},
                    token=api.admin_token)
    assert past.status_code == 400 and past.json()["details"][0]["field"] == "expires_at"


def test_a_scanner_token_lasts_a_day_past_its_last_event_and_never_outlives_its_maker(api, make_event):
    early = make_event(starts_at=dates.day_at(10, "10:00"), ends_at=dates.day_at(10, "18:00"))
    late = make_event(starts_at=dates.day_at(20, "10:00"), ends_at=dates.day_at(20, "23:00"))
    scanner = make_token(api, "scanner", [early["id"], late["id"]])
    assert (datetime.fromisoformat(scanner["expires_at"])
            == datetime.fromisoformat(late["ends_at"]) + timedelta(days=1))
    organiser = api.post("/api/tokens", json={"role": "organiser", "events": [late["id"]],
                                              "expires_at": dates.day_at(5, "12:00")}, token=api.admin_token).json()
    minted = make_token(api, "scanner", [late["id"]], token=organiser["token"])
    assert datetime.fromisoformat(minted["expires_at"]) == datetime.fromisoformat(dates.day_at(5, "12:00"))


def test_revoking_a_token_revokes_the_tokens_it_made_and_theirs(api, make_event):
    event = make_event()
    admin = make_token(api, "admin")
    organiser = make_token(api, "organiser", [event["id"]], token=admin["token"])
    scanners = [make_token(api, "scanner", [event["id"]], token=organiser["token"]) for _ in range(2)]
    bystander = make_token(api, "scanner", [event["id"]])  # made by the bootstrap admin: stays
    bundle = f"/api/events/{event['id']}/offline-bundle"
    for token in (*scanners, bystander):
        assert api.get(bundle, token=token["token"]).status_code == 200

    assert api.delete(f"/api/tokens/{organiser['id']}", token=api.admin_token).status_code == 204
    for token in scanners:
        assert api.get(bundle, token=token["token"]).status_code == 401
    listed = {t["id"]: t["revoked"] for t in api.get("/api/tokens", params={"event": event["id"]},
                                                       token=api.admin_token).json()["items"]}
    assert listed[scanners[0]["id"]] and listed[organiser["id"]] and not listed[bystander["id"]]
    assert api.get(bundle, token=bystander["token"]).status_code == 200
    assert api.get(bundle, token=admin["token"]).status_code == 200  # the maker's maker is not touched

    again = make_token(api, "organiser", [event["id"]], token=admin["token"])
    grandchild = make_token(api, "scanner", [event["id"]], token=again["token"])
    assert api.delete(f"/api/tokens/{admin['id']}", token=api.admin_token).status_code == 204
    for token in (admin, again, grandchild):
        assert api.get(bundle, token=token["token"]).status_code == 401


def sign_in_code(api, event_id, token=None):
    created = api.post("/api/tokens", json={"role": "scanner", "events": [event_id], "sign_in_code": True},
                       token=token or api.admin_token)
    assert created.status_code == 201, created.text
    return created.json()


def test_a_sign_in_code_gives_its_token_once(db, api, make_event):
    event = make_event()
    organiser = make_token(api, "organiser", [event["id"]])
    created = sign_in_code(api, event["id"], token=organiser["token"])
    assert "token" not in created  # the dashboard never holds the scanner's token
    code = created["sign_in"]["code"]
    assert "kapi_" not in code and len(code) >= 32
    lasts = datetime.fromisoformat(created["sign_in"]["expires_at"]) - datetime.fromisoformat(dates.from_now("UTC"))
    assert timedelta(minutes=9) < lasts <= timedelta(minutes=10, seconds=5)

    signed_in = api.post("/api/door/sign-in", json={"code": code})
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["token"]
    assert token.startswith(f"kapi_{created['id']}_") and signed_in.json()["events"] == [event["id"]]
    assert api.get(f"/api/events/{event['id']}/offline-bundle", token=token).status_code == 200

    again = api.post("/api/door/sign-in", json={"code": code})
    assert again.status_code == 401 and again.json()["error"] == "unauthorized"
    assert [d["field"] for d in again.json()["details"]] == ["code"]
    unknown = api.post("/api/door/sign-in", json={"code": "x" * 32})
    assert unknown.status_code == 401 and unknown.json()["details"][0]["field"] == "code"
    missing = api.post("/api/door/sign-in", json={})
    assert missing.status_code == 400 and missing.json()["details"][0]["field"] == "code"
    organiser_code = api.post("/api/tokens", json={"role": "organiser", "sign_in_code": True}, token=api.admin_token)
    assert organiser_code.status_code == 400 and organiser_code.json()["details"][0]["field"] == "sign_in_code"


def test_the_stored_code_holds_neither_the_code_nor_the_token_and_expires_by_its_stored_time(db, api, make_event):
    event = make_event()
    created = sign_in_code(api, event["id"])
    code = created["sign_in"]["code"]
    claim = db.Claim.get(sign_in.claim_key(code))
    stored = str(claim.attribute_values)
    assert code not in stored and "kapi_" not in stored
    assert claim.expires_at == int(datetime.fromisoformat(created["sign_in"]["expires_at"]).timestamp())
    claim.update([db.Claim.expires_at.set(int(time.time()) - 1)])  # its ten minutes are over

    expired = api.post("/api/door/sign-in", json={"code": code})
    assert expired.status_code == 401 and expired.json()["details"][0]["field"] == "code"
