"""The offline bundle over HTTP, paged and incremental (SPEC §12): a big event arrives in pages each
well under Lambda's 6 MB, and `?since=` gives a scanner only what changed at the door's list of
tickets since its last sync (new, cancelled, reissued, erased), with a new token."""
from bench.offline_bundle import write_registrations
from chalicelib.checkin import offline
from tests.data import registration_body

LAMBDA_ANSWER_LIMIT = 6 * 1024 * 1024


def bundle_pages(door, **params):
    """Every page of one sync, following `next_cursor`."""
    pages = []
    while True:
        response = door.api.get(f"/api/events/{door.event_id}/offline-bundle", params=params, token=door.scanner)
        assert response.status_code == 200, response.text[:300]
        pages.append((len(response.content), response.json()))
        if pages[-1][1]["next_cursor"] is None:
            return pages
        params = {"cursor": pages[-1][1]["next_cursor"]}


def test_a_big_events_bundle_comes_in_pages_well_under_the_limit_that_add_up_to_all_of_it(door):
    count = 2 * offline.PAGE_SIZE + 300
    write_registrations(door.event_id, count, ticket_type="std", minutes_ago=30)

    pages = bundle_pages(door)

    assert len(pages) == 3
    assert all(size < LAMBDA_ANSWER_LIMIT / 4 for size, _ in pages)
    tickets = [registration for _, page in pages for registration in page["tickets"]]
    assert len(tickets) == len(set(tickets)) == count
    canceled = [r for _, page in pages for r in page["canceled"]]
    assert canceled and set(canceled) <= set(tickets)
    assert [page["sync_token"] is not None for _, page in pages] == [False, False, True]
    assert all(page["keys"] and page["lists"] is not None for _, page in pages)  # each page is usable alone


def test_since_a_sync_token_only_what_changed_comes_with_a_new_token(door):
    write_registrations(door.event_id, 50, ticket_type="std", minutes_ago=30)  # registered earlier, unchanged
    [(_, first)] = bundle_pages(door)
    token = first["sync_token"]
    assert len(first["tickets"]) == 50

    new = door.register()
    cancelled = door.register()
    reissued = door.register()
    erased = door.register()
    changes = bundle_pages(door, since=token)  # all four are new since the token
    assert set(changes[-1][1]["tickets"]) == {new["id"], cancelled["id"], reissued["id"], erased["id"]}
    later = changes[-1][1]["sync_token"]
    assert later > token

    door.move(cancelled, "cancel")
    answer = door.api.post(f"/api/events/{door.event_id}/registrations/{reissued['id']}/reissue",
                           token=door.api.admin_token)
    assert answer.status_code == 200, answer.text
    door.move(erased, "cancel")  # erasing personal data comes after a cancel
    gone = door.api.delete(f"/api/events/{door.event_id}/registrations/{erased['id']}", token=door.api.admin_token)
    assert gone.status_code in (200, 204), gone.text

    [(size, changed)] = bundle_pages(door, since=later)

    # The overlap of a sync token brings the four again; what matters is the state each arrives in.
    assert set(changed["tickets"]) <= {new["id"], cancelled["id"], reissued["id"]}
    assert {cancelled["id"], reissued["id"]} <= set(changed["tickets"])
    assert changed["canceled"] == [cancelled["id"]]
    assert erased["id"] in changed["removed"] and erased["id"] not in changed["tickets"]
    assert [r["registration_id"] for r in changed["revoked"]] == [reissued["id"]]
    assert size < 10_000  # a few tickets, not the event's 54
    assert changed["sync_token"] > later and changed["next_cursor"] is None


def test_a_cursor_or_token_that_is_not_this_events_is_refused(door, make_door):
    other = make_door()
    write_registrations(other.event_id, offline.PAGE_SIZE + 1, ticket_type="std")
    cursor = bundle_pages(other)[0][1]["next_cursor"]

    for params, field in (({"cursor": cursor}, "cursor"), ({"cursor": "not-a-cursor"}, "cursor"),
                          ({"since": "yesterday"}, "since")):
        response = door.api.get(f"/api/events/{door.event_id}/offline-bundle", params=params, token=door.scanner)
        assert response.status_code == 400, response.text
        assert [d["field"] for d in response.json()["details"]] == [field]


def test_a_registration_through_the_api_is_in_the_next_incremental_sync(door):
    token = bundle_pages(door)[-1][1]["sync_token"]
    response = door.api.post(f"/api/events/{door.event_id}/registrations", json=registration_body(ticket_type="vip"))
    assert response.status_code == 201

    [(_, changed)] = bundle_pages(door, since=token)

    assert changed["tickets"][response.json()["id"]][0] == "vip"
