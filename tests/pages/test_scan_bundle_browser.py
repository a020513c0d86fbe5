"""The scanner page fetches a big event's offline bundle in pages, then only what changed (SPEC §12), and
decides offline from the merged result: a ticket registered after the first sync is admitted offline,
with its holder's name, once an incremental sync has brought it."""
from __future__ import annotations

from playwright.sync_api import expect

from bench.offline_bundle import write_registrations
from chalicelib.checkin import offline
from tests.api.test_tokens import make_token
from tests.pages.test_scan_browser import (  # noqa: F401 - fixtures used by name
    TICKET_TYPES,
    camera_browser,
    camera_file,
    open_scan,
    seq,
    verdict_after,
    wedge,
)


def test_the_scanner_syncs_in_pages_then_only_the_changes_and_decides_offline_from_them(
        open_scan, api, make_event, register):  # noqa: F811 - the imported fixture
    event = make_event(ticket_types=TICKET_TYPES)
    gate = api.post(f"/api/events/{event['id']}/checkin-lists", json={"name": "Ana kapı"},
                    token=api.admin_token).json()
    token = make_token(api, "scanner", [event["id"]])["token"]
    write_registrations(event["id"], offline.PAGE_SIZE + 10, ticket_type="std", minutes_ago=30)
    pages = []
    page = open_scan(viewport={"width": 800, "height": 900})
    page.on("request", lambda request: pages.append(request.url) if "offline-bundle" in request.url else None)
    page.goto("/scan?lang=en")
    page.fill("[name=token]", token)
    page.press("[name=token]", "Enter")
    page.select_option("[name=event]", event["id"])
    page.select_option("[name=list]", gate["id"])
    scanner = page.locator("#scanner")
    expect(scanner).to_have_attribute("data-bundle-pages", "2", timeout=60000)
    assert scanner.get_attribute("data-bundle-incremental") == "false"
    assert "cursor=" in pages[-1]

    late = register(event=event, name="Nur Şen", ticket_type="std")
    pages.clear()
    page.reload()  # the kept bundle has a sync token: only the changes come
    expect(scanner).to_have_attribute("data-bundle-incremental", "true", timeout=60000)
    assert scanner.get_attribute("data-bundle-pages") == "1"
    assert len(pages) == 1 and "since=" in pages[0]
    expect(scanner).to_have_attribute("data-offline-ready", "true", timeout=60000)

    page.context.set_offline(True)
    before = seq(page) if page.locator("#verdict").get_attribute("data-seq") else 0
    wedge(page, late.secret)
    expect(verdict_after(page, before, "ok", offline="true")).to_contain_text("Nur Şen")
