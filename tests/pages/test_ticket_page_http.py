"""The ticket page and its static files over plain HTTP: headers, language choice, escaping, every
status, and the secrets that must get the 404 page (erased, replaced by a reissue)."""
import re

import pytest
import requests

from chalicelib.common.config import settings
from chalicelib.common.errors import ServiceUnavailable
from chalicelib.i18n import translate
from chalicelib.organiser.reissue import reissue
from chalicelib.pages import CONTENT_SECURITY_POLICY
from chalicelib.pages.static import content_type, paths, url
from chalicelib.pages.ticket import ticket_page
from chalicelib.tickets import issuing, lookup
from tests.pages.conftest import EVENT_NAMES


def html_lang(response) -> str:
    return re.search(r'<html lang="(\w+)"', response.text).group(1)


def status_text(response) -> str:
    return re.search(r'<span id="status-text"[^>]*>([^<]*)</span>', response.text).group(1)


@pytest.fixture(scope="module")
def azerbaijani_ticket(register):
    return register(language="az")


@pytest.fixture
def server_keys(local_run, monkeypatch):
    """Reissue in this process with the local run's signing keys, as its server would."""
    monkeypatch.setenv("KAPI_DATA_DIR", str(local_run.data_dir))
    settings.cache_clear()
    issuing.signer.cache_clear()
    yield
    settings.cache_clear()
    issuing.signer.cache_clear()


def test_the_page_is_html_with_headers_that_keep_the_secret_in(api, ticket):
    response = api.get(f"/t/{ticket.manage}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.text.count("<h1>") == 1 and "<script>" not in response.text and " style=" not in response.text


@pytest.mark.parametrize("accept_language, query, cookie, expected", [
    (None, None, None, "az"),  # the language the attendee registered in
    ("de-DE,de;q=0.9", None, None, "az"),
    ("tr-TR,tr;q=0.9,en;q=0.5", None, None, "az"),  # a Turkish phone does not override their choice
    ("tr", "en", None, "en"),  # the switcher
    ("tr", None, "kapi_lang=en", "en"),  # the switcher, remembered
    ("tr", "tr", "kapi_lang=en", "tr"),  # switched again
    (None, None, "kapi_lang=de; other=1", "az"),
])
def test_the_language_is_the_registrations_unless_the_attendee_switches(
        api, azerbaijani_ticket, accept_language, query, cookie, expected):
    headers = {"Accept-Language": accept_language, "Cookie": cookie}
    response = api.get(f"/t/{azerbaijani_ticket.manage}", params={"lang": query} if query else {},
                       headers={k: v for k, v in headers.items() if v})
    assert html_lang(response) == expected
    assert f"<h1>{EVENT_NAMES[expected]}</h1>" in response.text


def test_switching_language_is_remembered_in_a_cookie(local_run, azerbaijani_ticket):
    browser = requests.Session()  # keeps cookies, as a browser does
    url = f"{local_run.url}/t/{azerbaijani_ticket.manage}"
    assert html_lang(browser.get(url, headers={"Accept-Language": "tr"})) == "az"
    switched = browser.get(url, params={"lang": "en"}, headers={"Accept-Language": "tr"})
    assert html_lang(switched) == "en" and "kapi_lang=en" in switched.headers["Set-Cookie"]
    assert "Set-Cookie" not in browser.get(url).headers
    assert html_lang(browser.get(url, headers={"Accept-Language": "tr"})) == "en"  # the email link, opened again


def test_what_attendees_typed_is_escaped(api, register):
    hostile = register(name='<img src=x onerror="alert(1)"> & Şule')
    page = api.get(f"/t/{hostile.manage}").text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Şule" in page and "<img src=x" not in page


def test_each_status_in_words_with_what_it_allows(api, register, make_event):
    full = make_event(name=EVENT_NAMES, capacity=1, waitlist=True)
    register(event=full)
    reviewed = make_event(name=EVENT_NAMES, requires_approval=True)
    tickets = {"waitlisted": register(event=full, language="tr"),
               "pending_approval": register(event=reviewed, language="tr"),
               "rejected": register(event=reviewed, language="tr"),
               "cancelled": register(language="tr")}
    rejected = tickets["rejected"]
    assert api.post(f"/api/events/{reviewed['id']}/registrations/{rejected.registration['id']}/reject",
                    token=api.admin_token).status_code == 200
    assert api.post(f"/api/tickets/{tickets['cancelled'].manage}/cancel").status_code == 200

    for status, ticket in tickets.items():
        response = api.get(f"/t/{ticket.manage}")
        assert status_text(response) == translate(f"page.ticket.status.{status}", "tr"), status
        assert translate(f"page.ticket.lead.{status}", "tr") in response.text
        assert "/qr.png" not in response.text and "/calendar.ics" not in response.text  # a confirmed ticket's only
        assert ('id="cancel"' in response.text) == (status in {"waitlisted", "pending_approval"}), status


def test_an_erased_registrations_ticket_gets_the_404_page(api, register):
    erased = register(language="en")
    event_id, registration_id = erased.event["id"], erased.registration["id"]
    assert api.post(f"/api/events/{event_id}/registrations/{registration_id}/cancel",
                    token=api.admin_token).status_code == 200
    assert api.delete(f"/api/events/{event_id}/registrations/{registration_id}", token=api.admin_token).status_code == 204
    response = api.get(f"/t/{erased.manage}")
    assert response.status_code == 404 and response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"<h1>{translate('page.not_found.title', 'en')}</h1>" in response.text


def test_a_reissued_ticket_replaces_the_old_page(db, api, register, server_keys):
    old = register(language="az")
    renewed = issuing.manage_secret_for(reissue(db, old.event["id"], old.registration["id"]))
    response = api.get(f"/t/{old.manage}", headers={"Accept-Language": "az"})
    assert response.status_code == 404 and html_lang(response) == "az"
    assert "Bilet tapılmadı" in response.text
    assert api.get(f"/t/{renewed}").status_code == 200


@pytest.mark.parametrize("name", sorted(paths()))
def test_static_files_have_their_own_types_and_are_cached_only_by_their_hash(api, name):
    linked = api.get(url(name))
    assert linked.status_code == 200 and linked.headers["Content-Type"] == content_type(name)
    assert linked.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert api.get(f"/static/{name}").headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/static/app.py", "/static/..%2Fapp.py", "/static/kapi.css.map", "/static/",
                                  "/static/../app.py", "/static/x/../../app.py", "/static/a/b/c/d.js"])
def test_only_the_listed_static_files_exist(api, path):
    assert api.get(path).status_code == 404


def test_a_busy_store_gets_a_localised_error_page_not_json(db, monkeypatch):
    def busy(db, secret):
        raise ServiceUnavailable("The store stayed busy; retry.")
    monkeypatch.setattr(lookup, "find", busy)
    response = ticket_page(db, "ANYTHING", "tr", None)
    assert response.status_code == 503 and response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"<h1>{translate('page.error.title', 'tr')}</h1>" in response.body
