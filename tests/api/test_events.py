"""Events: organisers create and edit them, the public sees only published ones."""
import uuid

from tests import dates

BAKU = "Asia/Baku"


def event_body(**overrides):
    body = {"id": f"ev-{uuid.uuid4().hex[:10]}", "name": {"az": "Bakı Caz Gecəsi"}, "venue": "Bakı",
            "starts_at": dates.day_at(90, "19:00", BAKU), "ends_at": dates.day_at(90, "23:00", BAKU),
            "timezone": "Asia/Baku"}
    body.update(overrides)
    return body


def test_created_event_gets_defaults_and_public_view(api):
    body = event_body(status="published", capacity=100,
                      ticket_types=[{"id": "std", "name": {"az": "Standart"}, "capacity": 80}])
    created = api.post("/api/events", json=body, token=api.admin_token)
    assert created.status_code == 201
    event = created.json()
    assert event["languages"] == ["az"] and event["retention_days"] == 180
    assert event["form"]["type"] == "object"

    public = api.get(f"/api/events/{body['id']}").json()
    assert public["name"]["az"] == "Bakı Caz Gecəsi"
    assert public["registration_open"] is True
    assert public["ticket_types"] == [{"id": "std", "name": {"az": "Standart"}, "available": 80, "waitlist": False}]
    assert "allow_duplicate_emails" not in public
    [listed] = [e for e in api.get("/api/events").json()["items"] if e["id"] == body["id"]]
    assert listed["ticket_types"][0]["available"] == 80


def test_draft_event_is_invisible_to_the_public_but_not_to_organisers(api):
    body = event_body()
    api.post("/api/events", json=body, token=api.admin_token)
    assert api.get(f"/api/events/{body['id']}").status_code == 404
    assert body["id"] not in [e["id"] for e in api.get("/api/events").json()["items"]]
    full = api.get(f"/api/events/{body['id']}", token=api.admin_token)
    assert full.status_code == 200 and full.json()["status"] == "draft"


def test_event_id_taken_is_a_conflict(api):
    body = event_body()
    assert api.post("/api/events", json=body, token=api.admin_token).status_code == 201
    again = api.post("/api/events", json=body, token=api.admin_token)
    assert again.status_code == 409 and again.json()["error"] == "conflict"


def test_invalid_event_names_each_bad_field(api):
    body = event_body(id="Bad Id", starts_at=dates.day_at(90, "19:00", BAKU)[:19], timezone="Mars/Olympus",
                      capacity=-1, name={})
    response = api.post("/api/events", json=body, token=api.admin_token)
    assert response.status_code == 400
    fields = {d["field"] for d in response.json()["details"]}
    assert {"id", "capacity", "name"} <= fields


def test_semantic_event_errors(api):
    body = event_body(ends_at=dates.day_at(90, "18:00", BAKU), starts_at=dates.day_at(90, "19:00", BAKU)[:19],
                      timezone="Mars/Olympus")
    response = api.post("/api/events", json=body, token=api.admin_token)
    fields = {d["field"] for d in response.json()["details"]}
    assert response.status_code == 400 and {"starts_at", "timezone"} <= fields


def test_form_must_be_a_valid_schema_of_an_object(api):
    bad_schema = api.post("/api/events", json=event_body(form={"type": "object", "properties": {"a": {"type": "nonsense"}}}),
                          token=api.admin_token)
    assert bad_schema.status_code == 400
    assert bad_schema.json()["details"][0]["field"].startswith("form")
    not_object = api.post("/api/events", json=event_body(form={"type": "array"}), token=api.admin_token)
    assert not_object.status_code == 400 and not_object.json()["details"][0]["field"] == "form.type"


def test_patch_merges_and_revalidates(api):
    body = event_body(status="published")
    api.post("/api/events", json=body, token=api.admin_token)
    patched = api.patch(f"/api/events/{body['id']}", json={"venue": "Heydər Əliyev Sarayı", "capacity": 5},
                        token=api.admin_token)
    assert patched.status_code == 200 and patched.json()["venue"] == "Heydər Əliyev Sarayı"
    assert api.get(f"/api/events/{body['id']}").json()["venue"] == "Heydər Əliyev Sarayı"
    bad = api.patch(f"/api/events/{body['id']}", json={"capacity": "many"}, token=api.admin_token)
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "capacity"
    renamed = api.patch(f"/api/events/{body['id']}", json={"id": "other"}, token=api.admin_token)
    assert renamed.status_code == 400 and renamed.json()["details"][0]["field"] == "id"
    missing = api.patch("/api/events/no-such-event", json={"venue": "x"}, token=api.admin_token)
    assert missing.status_code == 404


def test_malformed_and_oversized_bodies(api):
    malformed = api.post("/api/events", data=b"{not json", token=api.admin_token,
                         headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["details"][0]["field"] == "body"
    not_object = api.post("/api/events", json=[1, 2], token=api.admin_token)
    assert not_object.status_code == 400
    huge = api.post("/api/events", json=event_body(venue="x" * 70_000), token=api.admin_token)
    assert huge.status_code == 413 and huge.json()["error"] == "payload_too_large"


def test_unknown_routes_and_methods_answer_json(api):
    unknown = api.get("/api/nothing/here")
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    wrong_method = api.delete("/api/events")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"
    no_route_has_it = api.request("TRACE", "/api/events")  # answered before any handler runs
    assert no_route_has_it.status_code == 405 and no_route_has_it.json()["error"] == "method_not_allowed"
    assert api.get("/api/events").status_code == 200  # the same kept-alive connection still answers


def test_event_times_are_bounded_so_dates_computed_from_them_exist(api):
    """An `ends_at` near year 9999 once overflowed the retention due date (and stopped every run)."""
    far = {"starts_at": "9999-12-30T10:00:00+03:00", "ends_at": "9999-12-31T23:59:59-12:00"}
    response = api.post("/api/events", json=event_body(**far), token=api.admin_token)
    assert response.status_code == 400
    assert {d["field"] for d in response.json()["details"]} == {"starts_at", "ends_at"}
    ancient = api.post("/api/events", json=event_body(starts_at="0001-01-01T00:30:00+01:00"), token=api.admin_token)
    assert ancient.status_code == 400 and [d["field"] for d in ancient.json()["details"]] == ["starts_at"]
    body = event_body()
    assert api.post("/api/events", json=body, token=api.admin_token).status_code == 201
    patched = api.patch(f"/api/events/{body['id']}", json={"registration_closes_at": dates.from_now(days=11 * 366)},
                        token=api.admin_token)
    assert patched.status_code == 400 and patched.json()["details"][0]["field"] == "registration_closes_at"
    far_but_real = event_body(starts_at=dates.day_at(9 * 365, "19:00", BAKU), ends_at=dates.day_at(9 * 365, "23:00", BAKU))
    assert api.post("/api/events", json=far_but_real, token=api.admin_token).status_code == 201
