"""Reissuing a ticket over HTTP (SPEC §5): the old QR is refused at the door, the new email's QR admits."""
import io

import zxingcpp
from PIL import Image

from tests.api.test_tokens import make_token
from tests.data import registration_body
from tests.delivery.test_ticket_email import has_ticket, wait_for_email

TYPES = [{"id": "std", "name": {"tr": "Standart", "en": "Standard"}},
         {"id": "vip", "name": {"tr": "VIP", "en": "VIP"}, "capacity": 1}]


def qr_secret(message) -> str:
    [png] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.get_content())))
    return decoded.text


def register(api, event, **fields):
    body = registration_body(**fields)
    answer = api.post(f"/api/events/{event['id']}/registrations", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def reissue(api, event, registration, **body):
    return api.post(f"/api/events/{event['id']}/registrations/{registration['id']}/reissue", json=body,
                    token=api.admin_token)


def test_reissue_to_another_type_revokes_the_old_qr_and_emails_one_that_scans(api, local_run, make_event):
    event = make_event(ticket_types=TYPES)
    attendee = register(api, event, ticket_type="std")
    outbox = local_run.data_dir / "outbox"
    old_secret = qr_secret(wait_for_email(outbox, attendee["email"], wanted=has_ticket))
    gate = api.post(f"/api/events/{event['id']}/checkin-lists", json={"name": "Ana kapı"},
                    token=api.admin_token).json()
    scanner = make_token(api, "scanner", [event["id"]])["token"]

    answer = reissue(api, event, attendee, ticket_type="vip")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["id"], answer.json()["ticket_type"], answer.json()["status"]) == (attendee["id"], "vip",
                                                                                           "confirmed")
    new_email = wait_for_email(outbox, attendee["email"], wanted=lambda m: has_ticket(m) and qr_secret(m) != old_secret)
    new_secret = qr_secret(new_email)

    def scan(secret):
        return api.post(f"/api/events/{event['id']}/checkin-lists/{gate['id']}/scans",
                        json={"secret": secret, "type": "entry"}, token=scanner)
    refused = scan(old_secret)
    assert refused.status_code == 400 and refused.json()["reason"] == "revoked"
    admitted = scan(new_secret)
    assert admitted.status_code == 201 and admitted.json()["attendee"]["ticket_type"] == "vip"


def test_reissue_without_a_body_keeps_the_type_and_changes_the_secret(api, local_run, make_event):
    event = make_event(ticket_types=TYPES)
    attendee = register(api, event, ticket_type="std")
    outbox = local_run.data_dir / "outbox"
    old_secret = qr_secret(wait_for_email(outbox, attendee["email"], wanted=has_ticket))
    answer = api.post(f"/api/events/{event['id']}/registrations/{attendee['id']}/reissue", token=api.admin_token)
    assert answer.status_code == 200 and answer.json()["ticket_type"] == "std"
    new_secret = qr_secret(wait_for_email(outbox, attendee["email"],
                                          wanted=lambda m: has_ticket(m) and qr_secret(m) != old_secret))
    assert api.get(f"/api/tickets/{old_secret}").status_code == 404
    assert api.get(f"/api/tickets/{new_secret}").json()["registration_id"] == attendee["id"]


def test_reissue_to_a_full_ticket_type_is_409_sold_out_on_ticket_type(api, make_event):
    event = make_event(ticket_types=TYPES)
    register(api, event, ticket_type="vip")
    attendee = register(api, event, ticket_type="std")
    full = reissue(api, event, attendee, ticket_type="vip")
    assert full.status_code == 409 and full.json()["error"] == "sold_out"
    assert full.json()["details"][0]["field"] == "ticket_type"
    unknown = reissue(api, event, attendee, ticket_type="backstage")
    assert unknown.status_code == 400 and unknown.json()["details"][0]["field"] == "ticket_type"
    kept = api.get(f"/api/events/{event['id']}/registrations/{attendee['id']}", token=api.admin_token).json()
    assert kept["ticket_type"] == "std"
