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


def current_secret(local_run, db, registration):
    """The ticket's current secret, as its QR code holds it (the door's name search gives none: SPEC §16)."""
    return local_run.secrets(db, registration["id"])[0]


def door(api, event):
    gate = api.post(f"/api/events/{event['id']}/checkin-lists", json={"name": "Ana kapı"},
                    token=api.admin_token).json()
    return gate, make_token(api, "scanner", [event["id"]])["token"]


def test_reissue_to_another_type_revokes_the_old_qr_and_emails_one_that_scans(api, local_run, db, make_event):
    event = make_event(ticket_types=TYPES)
    attendee = register(api, event, ticket_type="std")
    gate, scanner = door(api, event)
    old_secret = current_secret(local_run, db, attendee)

    answer = reissue(api, event, attendee, ticket_type="vip")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["id"], answer.json()["ticket_type"], answer.json()["status"]) == (attendee["id"], "vip",
                                                                                           "confirmed")
    # The wait allows for the emails other tests queued before this one (the worker sends in order).
    new_secret = qr_secret(wait_for_email(local_run.data_dir / "outbox", attendee["email"], timeout=300,
                                          wanted=lambda m: has_ticket(m) and qr_secret(m) != old_secret))

    def scan(secret):
        return api.post(f"/api/events/{event['id']}/checkin-lists/{gate['id']}/scans",
                        json={"secret": secret, "type": "entry"}, token=scanner)
    refused = scan(old_secret)
    assert refused.status_code == 400 and refused.json()["reason"] == "revoked"
    admitted = scan(new_secret)
    assert admitted.status_code == 201 and admitted.json()["attendee"]["ticket_type"] == "vip"


def test_reissue_without_a_body_keeps_the_type_and_changes_the_secret(api, local_run, db, make_event):
    """Both secrets change: the old manage secret opens nothing, the new one the ticket."""
    event = make_event(ticket_types=TYPES)
    attendee = register(api, event, ticket_type="std")
    old_secret, old_manage = local_run.secrets(db, attendee["id"])
    answer = api.post(f"/api/events/{event['id']}/registrations/{attendee['id']}/reissue", token=api.admin_token)
    assert answer.status_code == 200 and answer.json()["ticket_type"] == "std"
    new_secret, new_manage = local_run.secrets(db, attendee["id"])
    assert new_secret != old_secret and new_manage != old_manage
    assert api.get(f"/api/tickets/{old_manage}").status_code == 404
    assert api.get(f"/api/tickets/{new_manage}").json()["registration_id"] == attendee["id"]


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
