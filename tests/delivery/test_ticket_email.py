"""End to end: register over HTTP, the local run's worker writes the email, the QR scans back."""
import email
import io
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests
import zxingcpp
from PIL import Image

from chalicelib.i18n import localized, translate
from chalicelib.tickets.keys import load_keyring_from_dir
from chalicelib.tickets.secrets import TicketSigner
from tests.data import registration_body
from tests.waiting import poll

NAMES = {"tr": "Şengül İlkay Işık", "az": "Gülşən Əliyeva", "en": "İlkin Məmmədov"}
SUBJECT_WORDS = {"tr": "Gençlik Forumu", "az": "Gənclik Forumu", "en": "Youth Forum"}


def has_ticket(message):
    return any(part.get_content_type() == "image/png" for part in message.walk())


# Every .eml read once: a waiting test polls an outbox that earlier tests filled with thousands.
_parsed: dict[Path, EmailMessage] = {}


def _message(path: Path) -> EmailMessage:
    if path not in _parsed:
        _parsed[path] = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    return _parsed[path]


def wait_for_email(outbox, address, timeout=120, wanted=lambda message: True, count=1):
    """The newest of the first `count` wanted emails to `address`, once that many have arrived.

    The bound is generous: the local run's one mail worker may still be sending what earlier tests
    (the registration races) queued."""
    def arrived():
        messages = (_message(path) for path in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns))
        return [message for message in messages if address in str(message["To"]) and wanted(message)]

    found = poll(arrived, lambda found: len(found) >= count, timeout, interval=0.1)
    if len(found) < count:
        raise AssertionError(f"fewer than {count} wanted emails to {address} within {timeout} s")
    return found[count - 1]


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_ticket_email_carries_a_qr_that_scans_back_to_a_valid_secret(api, local_run, make_event, language):
    event = make_event()
    body = registration_body(name=NAMES[language], language=language)
    assert api.post(f"/api/events/{event['id']}/registrations", json=body).status_code == 201

    message = wait_for_email(local_run.data_dir / "outbox", body["email"])
    assert SUBJECT_WORDS[language] in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert NAMES[language] in text and NAMES[language] in html
    [png] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert f"cid:{png['Content-ID'].strip('<>')}" in html
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.get_content())))
    secret = decoded.text
    signer = TicketSigner(load_keyring_from_dir(local_run.data_dir))
    assert signer.verify(secret, event["id"]).revision == 0
    # SPEC §16: every link holds the manage secret of the same ticket; the QR's secret is in no link.
    [link] = re.findall(r"\S+/t/[A-Z2-7]+(?:\?\S*)?(?=\s|$)", text)  # the ticket page's link
    manage = re.search(r"/t/([A-Z2-7]+)", link).group(1)
    assert signer.verify_manage(manage) == signer.verify(secret, event["id"])
    assert secret not in text and secret not in html
    assert f"/t/{manage}#cancel" in text and f"/t/{manage}#cancel" in html
    assert link.startswith(local_run.url + "/")  # the link the attendee clicks reaches this very server
    page = requests.get(link, timeout=30)
    assert page.status_code == 200 and NAMES[language] in page.text
    ticket = api.get(f"/api/tickets/{manage}")
    assert ticket.status_code == 200 and ticket.json()["name"] == NAMES[language]
    calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    ics = calendars[0].get_content().replace("\r\n ", "").replace("\n ", "")  # unfolded
    assert secret not in ics and manage not in ics and f"{local_run.url}/e/{event['id']}" in ics


def test_ticket_routes_refuse_forged_secrets_and_cancel_frees_the_seat(api, local_run, make_event):
    event = make_event(capacity=1, waitlist=True)
    name = localized(event["name"], "tr")
    first, second = registration_body(), registration_body()
    api.post(f"/api/events/{event['id']}/registrations", json=first)
    waiting = api.post(f"/api/events/{event['id']}/registrations", json=second).json()
    message = wait_for_email(local_run.data_dir / "outbox", first["email"])
    secret = zxingcpp.read_barcodes(Image.open(io.BytesIO(
        next(p for p in message.walk() if p.get_content_type() == "image/png").get_content())))[0].text
    manage = re.search(r"/t/([A-Z2-7]+)", message.get_body(("plain",)).get_content()).group(1)

    for forged in (manage[:-3] + ("AAA" if not manage.endswith("AAA") else "BBB"),
                   secret[:-3] + ("AAA" if not secret.endswith("AAA") else "BBB")):
        assert api.get(f"/api/tickets/{forged}").status_code == 404
    qr = api.get(f"/api/tickets/{manage}/qr.png", headers={"Accept": "image/png"})
    assert qr.status_code == 200 and zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.content)))[0].text == secret
    ics = api.get(f"/api/tickets/{manage}/calendar.ics")
    assert ics.status_code == 200 and "BEGIN:VEVENT" in ics.text

    cancelled = api.post(f"/api/tickets/{manage}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.post(f"/api/tickets/{manage}/cancel").json()["status"] == "cancelled"  # twice is fine
    promoted = api.get(f"/api/events/{event['id']}/registrations/{waiting['id']}", token=api.admin_token)
    assert promoted.json()["status"] == "confirmed"
    waitlisted = wait_for_email(local_run.data_dir / "outbox", second["email"],
                                wanted=lambda m: m["Subject"] == translate("mail.waitlisted.subject", "tr", event=name))
    assert not has_ticket(waitlisted)
    moved_up = wait_for_email(local_run.data_dir / "outbox", second["email"], wanted=has_ticket)
    assert "/t/" in moved_up.get_body(("plain",)).get_content()


def test_each_organiser_move_sends_its_own_localised_email(api, local_run, make_event):
    event = make_event(requires_approval=True)
    outbox = local_run.data_dir / "outbox"
    base = f"/api/events/{event['id']}/registrations"
    name = localized(event["name"], "en")

    approved, rejected = registration_body(language="en"), registration_body(language="en")
    approved_id = api.post(base, json=approved).json()["id"]
    rejected_id = api.post(base, json=rejected).json()["id"]
    for body in (approved, rejected):
        wait_for_email(outbox, body["email"],
                       wanted=lambda m: m["Subject"] == translate("mail.pending_approval.subject", "en", event=name))

    api.post(f"{base}/{approved_id}/approve", token=api.admin_token)
    api.post(f"{base}/{rejected_id}/reject", token=api.admin_token)
    ticket = wait_for_email(outbox, approved["email"],
                            wanted=lambda m: m["Subject"] == translate("mail.approved.subject", "en", event=name))
    assert has_ticket(ticket)
    refusal = wait_for_email(outbox, rejected["email"],
                             wanted=lambda m: m["Subject"] == translate("mail.rejected.subject", "en", event=name))
    assert not has_ticket(refusal)

    api.post(f"{base}/{approved_id}/cancel", token=api.admin_token)
    is_cancellation = lambda m: m["Subject"] == translate("mail.cancelled.subject", "en", event=name)  # noqa: E731
    wait_for_email(outbox, approved["email"], wanted=is_cancellation)
    resent = api.post(f"{base}/{approved_id}/resend", token=api.admin_token)
    assert resent.status_code == 200 and resent.json()["email_status"] == "queued"
    again = wait_for_email(outbox, approved["email"], wanted=is_cancellation, count=2)  # a second file, not the first
    assert not has_ticket(again)
