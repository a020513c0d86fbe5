"""PATCH of an event: versions and If-Match, merge-patch semantics, and ticket types that are in use,
raced with real threads against the local run."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.data import registration_body
from tests.stack import Api

ROUNDS = 5
TYPES = [{"id": "std", "name": {"en": "Standard"}}, {"id": "day2", "name": {"en": "Day two"}}]


def patch(api, event_id, body, **headers):
    return Api(api.base_url, api.admin_token).patch(f"/api/events/{event_id}", json=body, token=api.admin_token,
                                                    headers=headers)


def get(api, event_id):
    return api.get(f"/api/events/{event_id}", token=api.admin_token).json()


def test_every_view_has_a_version_and_patch_with_a_stale_if_match_is_412(api, make_event):
    event = make_event()
    assert event["version"] == 1 and api.get(f"/api/events/{event['id']}").json()["version"] == 1
    first = patch(api, event["id"], {"venue": "Bakı Konqres Mərkəzi"}, **{"If-Match": '"1"'})
    assert first.status_code == 200 and first.json()["version"] == 2 and first.headers["ETag"] == '"2"'
    stale = patch(api, event["id"], {"venue": "İzmir Fuar Alanı"}, **{"If-Match": "1"})
    assert stale.status_code == 412 and stale.json()["error"] == "precondition_failed"
    assert stale.json()["details"][0]["field"] == "If-Match"
    assert (get(api, event["id"])["venue"], get(api, event["id"])["version"]) == ("Bakı Konqres Mərkəzi", 2)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_organisers_with_the_same_version_one_wins_the_other_gets_412(api, make_event, round_):
    event = make_event()
    venues = [f"Salon {i}" for i in range(6)]
    with ThreadPoolExecutor(len(venues)) as pool:
        answers = list(pool.map(lambda v: patch(api, event["id"], {"venue": v}, **{"If-Match": "1"}), venues))
    codes = [a.status_code for a in answers]
    assert sorted(codes) == [200] + [412] * (len(venues) - 1)
    winner = venues[codes.index(200)]
    assert (get(api, event["id"])["venue"], get(api, event["id"])["version"]) == (winner, 2)


CHANGES = [{"venue": "Bakı"}, {"capacity": 77}, {"retention_days": 30}, {"waitlist": True},
           {"requires_approval": True}, {"allow_duplicate_emails": True}, {"description": {"az": "Təsvir"}},
           {"name": {"tr": "Gençlik Forumu 2"}}]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_patches_without_if_match_lose_no_update(api, make_event, round_):
    event = make_event(description={"tr": "Açıklama", "en": "About"})
    with ThreadPoolExecutor(len(CHANGES)) as pool:
        answers = list(pool.map(lambda change: patch(api, event["id"], change), CHANGES))
    assert [a.status_code for a in answers] == [200] * len(CHANGES)
    final = get(api, event["id"])
    assert (final["venue"], final["capacity"], final["retention_days"]) == ("Bakı", 77, 30)
    assert final["waitlist"] and final["requires_approval"] and final["allow_duplicate_emails"]
    assert final["description"] == {"tr": "Açıklama", "en": "About", "az": "Təsvir"}
    assert final["name"] == {"tr": "Gençlik Forumu 2", "az": "Gənclik Forumu", "en": "Youth Forum"}
    assert final["version"] == 1 + len(CHANGES)


def test_nested_maps_merge_as_json_merge_patch(api, make_event):
    event = make_event(description={"tr": "Açıklama", "az": "Təsvir", "en": "About"}, capacity=10)
    answer = api.patch(f"/api/events/{event['id']}", data='{"description": {"tr": "Yeni açıklama", "en": null},'
                       ' "capacity": null}'.encode(), token=api.admin_token,
                       headers={"Content-Type": "application/merge-patch+json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["description"] == {"tr": "Yeni açıklama", "az": "Təsvir"}
    assert answer.json()["capacity"] is None
    assert get(api, event["id"])["description"] == {"tr": "Yeni açıklama", "az": "Təsvir"}


def test_a_ticket_type_with_registrations_cannot_be_removed(api, make_event):
    event = make_event(ticket_types=TYPES)
    registered = api.post(f"/api/events/{event['id']}/registrations", json=registration_body(ticket_type="day2"))
    assert registered.status_code == 201
    api.post(f"/api/events/{event['id']}/registrations/{registered.json()['id']}/cancel", token=api.admin_token)
    refused = patch(api, event["id"], {"ticket_types": TYPES[:1]})
    assert refused.status_code == 409 and refused.json()["details"][0]["field"] == "ticket_types"
    assert "day2" in refused.json()["details"][0]["message"]
    assert [t["id"] for t in get(api, event["id"])["ticket_types"]] == ["std", "day2"]


@pytest.mark.parametrize("round_", range(2 * ROUNDS))
def test_removing_a_ticket_type_races_registrations_of_it_and_one_side_loses(api, make_event, round_):
    """Registrations of day2 start just after the removal, a few milliseconds apart, so some of them
    read the event before the removal commits and write after it has checked for registrations."""
    event = make_event(ticket_types=TYPES)
    path = f"/api/events/{event['id']}/registrations"
    count = 16
    start = threading.Barrier(count + 1)
    clients = [Api(api.base_url, api.admin_token) for _ in range(count)]

    def register(i):
        start.wait()
        time.sleep(0.004 * i)
        return clients[i].post(path, json=registration_body(ticket_type="day2"))

    def remove():
        start.wait()
        return patch(api, event["id"], {"ticket_types": TYPES[:1]})

    with ThreadPoolExecutor(count + 1) as pool:
        registering = [pool.submit(register, i) for i in range(count)]
        removal = pool.submit(remove).result()
        answers = [r.result() for r in registering]
    types_left = [t["id"] for t in get(api, event["id"])["ticket_types"]]
    accepted = [a for a in answers if a.status_code == 201]
    if removal.status_code == 200:
        assert types_left == ["std"] and accepted == []
    else:
        assert removal.status_code == 409 and types_left == ["std", "day2"] and accepted
    refused = [a for a in answers if a.status_code != 201]
    assert all(a.status_code == 400 and a.json()["details"][0]["field"] == "ticket_type" for a in refused)
