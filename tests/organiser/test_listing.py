"""The registrations table: every registration exactly once across pages, filters, search, bad input."""
import base64
import json

import pytest

from chalicelib.registration import actions
from tests.api.test_tokens import make_token

TYPES = [{"id": "std", "name": {"en": "Standard"}}, {"id": "vip", "name": {"en": "VIP"}}]


@pytest.fixture(scope="module")
def crowd(request):
    """One event with 45 registrations: confirmed and waitlisted, two ticket types, a few named apart."""
    make_event, populate = request.getfixturevalue("make_event"), request.getfixturevalue("populate")
    event = make_event(capacity=30, waitlist=True, ticket_types=TYPES)
    made = populate(event["id"], 25, ticket_type="std") + populate(event["id"], 15, ticket_type="vip")
    made += populate(event["id"], 3, ticket_type="vip", name="Gülşən İsmayılova")
    made += populate(event["id"], 2, ticket_type="std", name="Işıl Yıldız")
    return event, {r["id"]: r for r in made}


def walk(api, event_id, **params):
    """All items of a listing, following next_cursor; also the number of pages."""
    ids, pages, cursor = [], 0, None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get(f"/api/events/{event_id}/registrations", params=query, token=api.admin_token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= int(params.get("limit", 50))
        ids += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages


@pytest.mark.parametrize("limit", [1, 7, 50])
@pytest.mark.parametrize("filters", [{}, {"status": "waitlisted"}, {"ticket_type": "vip"},
                                     {"status": "confirmed", "ticket_type": "std"}],
                         ids=["all", "waitlisted", "vip", "confirmed-std"])
def test_every_registration_exactly_once_across_pages(api, crowd, limit, filters):
    event, made = crowd
    expected = {rid for rid, r in made.items()
                if all(r[name] == value for name, value in filters.items())}
    assert expected  # each filter selects something
    ids, pages = walk(api, event["id"], limit=str(limit), **filters)
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert pages >= -(-len(expected) // limit)


def test_pages_are_in_registration_order_with_full_organiser_views(api, crowd):
    event, made = crowd
    body = api.get(f"/api/events/{event['id']}/registrations", params={"limit": "500"},
                   token=api.admin_token).json()
    created = [item["created_at"] for item in body["items"]]
    assert created == sorted(created) and body["next_cursor"] is None
    first = body["items"][0]
    assert {"name", "email", "answers", "status", "ticket_type", "email_status", "checkins"} <= set(first)


def test_search_is_case_and_accent_insensitive_by_name_or_email_prefix(api, crowd):
    event, made = crowd
    path = f"/api/events/{event['id']}/registrations"
    for q in ("gulsen", "GÜLŞƏN ism", "ismayilova"):
        found = api.get(path, params={"q": q}, token=api.admin_token).json()
        assert len(found["items"]) == 3 and found["next_cursor"] is None
        assert {item["name"] for item in found["items"]} == {"Gülşən İsmayılova"}
    isil = api.get(path, params={"q": "isil", "ticket_type": "std"}, token=api.admin_token).json()
    assert len(isil["items"]) == 2
    one = next(r for r in made.values() if r["name"] == "Işıl Yıldız")
    by_email = api.get(path, params={"q": one["email"][:14].upper()}, token=api.admin_token).json()
    assert one["id"] in [item["id"] for item in by_email["items"]]
    assert api.get(path, params={"q": "isil", "status": "cancelled"}, token=api.admin_token).json()["items"] == []


def test_a_status_change_moves_a_registration_between_filtered_listings(db, api, make_event, populate):
    event = make_event()
    rid = populate(event["id"], 1)[0]["id"]
    actions.apply(db, event["id"], rid, "cancel")
    listed = {status: walk(api, event["id"], status=status)[0] for status in ("confirmed", "cancelled")}
    assert listed == {"confirmed": [], "cancelled": [rid]}


def _cursor(plain):
    """A cursor made by hand; "EVENT" stands for the event under test."""
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


@pytest.mark.parametrize("params,field", [
    ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "ten"}, "limit"),
    ({"limit": "-1"}, "limit"), ({"limit": "٣"}, "limit"), ({"status": "arrived"}, "status"),
    ({"ticket_type": "platinum"}, "ticket_type"), ({"cursor": "not a cursor!"}, "cursor"),
    ({"cursor": _cursor(["a"])}, "cursor"), ({"cursor": _cursor({"id": "x"})}, "cursor"),
    ({"cursor": _cursor({"id": "x", "event_id": "another-event", "created_key": "k"})}, "cursor"),
    ({"cursor": {"id": 1, "event_id": "EVENT", "created_key": "k"}}, "cursor"),
    ({"cursor": {"id": "x", "event_id": "EVENT", "created_key": "k", "extra": "y"}}, "cursor"),
])
def test_bad_parameters_are_400_naming_the_parameter(api, crowd, params, field):
    event, _ = crowd
    if isinstance(params.get("cursor"), dict):
        params = {"cursor": _cursor({k: event["id"] if v == "EVENT" else v for k, v in params["cursor"].items()})}
    response = api.get(f"/api/events/{event['id']}/registrations", params=params, token=api.admin_token)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert [d["field"] for d in response.json()["details"]] == [field]


def test_a_cursor_is_only_valid_for_the_listing_it_came_from(api, crowd):
    event, _ = crowd
    path = f"/api/events/{event['id']}/registrations"
    cursor = api.get(path, params={"limit": "2", "status": "waitlisted"}, token=api.admin_token).json()["next_cursor"]
    assert api.get(path, params={"cursor": cursor, "status": "waitlisted"}, token=api.admin_token).status_code == 200
    assert api.get(path, params={"cursor": cursor}, token=api.admin_token).status_code == 400
    assert api.get(path, params={"cursor": cursor, "status": "confirmed"}, token=api.admin_token).status_code == 400


def test_only_organisers_of_the_event_may_list(api, crowd, make_event):
    event, _ = crowd
    path = f"/api/events/{event['id']}/registrations"
    assert api.get(path).status_code == 401
    scanner = make_token(api, "scanner", [event["id"]])["token"]
    assert api.get(path, token=scanner).status_code == 403
    elsewhere = make_token(api, "organiser", [make_event()["id"]])["token"]
    assert api.get(path, token=elsewhere).status_code == 403
    assert api.get("/api/events/no-such-event/registrations", token=api.admin_token).status_code == 404
