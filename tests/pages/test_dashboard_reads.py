"""The live view's cost per refresh: the same requests from the page, and the same DynamoDB reads behind
them, at 10 and at 5,000 registrations (SPEC §10: counts cost a constant number of reads)."""
from urllib.parse import urlsplit

from playwright.sync_api import expect

from chalicelib.events import counters, events
from chalicelib.organiser import attendance
from chalicelib.registration import applicants, registering
from chalicelib.storage import shards
from tests.data import registration_body
from tests.organiser.test_attendance import READS, dynamodb_calls
from tests.pages.test_dashboard_browser import TABLET, sign_in

LISTS = 2


def seed(db, event_id: str, count: int) -> None:
    """`count` confirmed registrations stored as registering leaves them (the records, and the counters
    their transactions keep), written in BatchWriteItem calls: 5,000 registrations one transaction and
    one email each would take minutes, and how they were written does not change what a refresh reads."""
    event = events.load(db, event_id)
    with db.Registration.batch_write() as batch:
        for _ in range(count):
            applicant = applicants.parse(event, registration_body(ticket_type="std"))
            batch.save(registering._new_registration(db, event, applicant, "confirmed"))
    counters.item(db, event_id).update(actions=shards.adds(
        {name: count for name in ("confirmed", "confirmed__std", "held", "held__std")}))


def requests_per_refresh(page, event_id: str) -> list[str]:
    """The API paths one refresh of the open live view asks for ("Refresh now"), the event id elided."""
    asked = []

    def record(request):
        path = urlsplit(request.url).path
        if path.startswith("/api/"):
            asked.append(path.replace(event_id, "{id}"))
    page.on("request", record)
    with page.expect_response(lambda response: response.url.endswith("/attendance")):
        page.click("#refresh")
    expect(page.locator("#last-updated")).not_to_be_empty()
    page.remove_listener("request", record)
    return asked


def test_a_refresh_costs_the_same_at_10_and_at_5000_registrations(db, browser, api, make_event):
    reads, requests = {}, {}
    context = browser.new_context(base_url=api.base_url, **TABLET)
    page = context.new_page()
    sign_in(page, api.admin_token)
    expect(page.locator("#events")).to_be_visible()
    for size in (10, 5000):
        event = make_event(ticket_types=[{"id": "std", "name": {"en": "Standard"}}])
        for n in range(LISTS):
            assert api.post(f"/api/events/{event['id']}/checkin-lists", json={"name": f"Kapı {n}"},
                            token=api.admin_token).status_code == 201
        seed(db, event["id"], size)
        assert db.Registration.by_event.count(event["id"]) == size
        page.goto(f"/dashboard?lang=en#event={event['id']}&tab=live")
        # The first view of an event of 5,000 waits on the local server's index pages, each of which sorts
        # the event's whole partition (moto's paging, README "What a request costs it"): late in the
        # suite that took more than the default 5 s once.
        expect(page.locator("[data-list-id] .of")).to_have_text([f" / {size:,}"] * LISTS, timeout=30000)
        requests[size] = requests_per_refresh(page, event["id"])
        reads[size], report = dynamodb_calls(attendance.report, db, event["id"])
        assert report["registrations"]["confirmed"] == size
    context.close()
    print(f"live view, one refresh at 10 and 5,000 registrations: requests {requests[10]} / {requests[5000]}; "
          f"DynamoDB reads {dict(reads[10])} / {dict(reads[5000])}")
    assert requests[10] == requests[5000] == ["/api/events/{id}/attendance"]
    assert reads[10] == reads[5000]
    assert set(reads[10]) <= READS and sum(reads[10].values()) == 4  # event, shards, lists, lists' shards
