"""SPEC §16 "Two secrets per ticket" over HTTP: the QR's ticket secret admits at the door and nothing else,
the manage secret opens the ticket page and cancels, the calendar holds neither, and tickets issued
before manage secrets existed keep their page link (the QR secret) until their event ends."""
import io
import re

import pytest
import zxingcpp
from PIL import Image

from chalicelib.common.errors import NotFound
from chalicelib.storage.models import Registration
from chalicelib.tickets import issuing, lookup
from tests import dates
from tests.api.test_tokens import make_token
from tests.data import registration_body
from tests.dates import DoorDay


def register(api, event, **fields):
    response = api.post(f"/api/events/{event['id']}/registrations", json=registration_body(**fields))
    assert response.status_code == 201, response.text
    return response.json()


def routes(api, secret):
    """Every public route a secret may open, by name, with its answer."""
    return {"page": api.get(f"/t/{secret}"), "ticket": api.get(f"/api/tickets/{secret}"),
            "qr": api.get(f"/api/tickets/{secret}/qr.png", headers={"Accept": "image/png"}),
            "calendar": api.get(f"/api/tickets/{secret}/calendar.ics")}


def unfolded(ics: str) -> str:
    return ics.replace("\r\n ", "").replace("\n ", "")


def scan(api, event, gate, scanner, secret):
    return api.post(f"/api/events/{event['id']}/checkin-lists/{gate['id']}/scans",
                    json={"secret": secret, "type": "entry"}, token=scanner)


def door(api, event):
    gate = api.post(f"/api/events/{event['id']}/checkin-lists", json={"name": "Ana kapı"},
                    token=api.admin_token).json()
    return gate, make_token(api, "scanner", [event["id"]])["token"]


def test_the_qr_secret_opens_no_page_and_cancels_nothing_the_manage_secret_does(api, local_run, db, make_event):
    event = make_event(**DoorDay().event_fields())
    person = register(api, event, name="Şengül Əliyeva")
    secret, manage = local_run.secrets(db, person["id"])
    assert len(secret) == 122 and len(manage) == 45

    for name, answer in routes(api, secret).items():
        assert answer.status_code == 404, name
        assert "Şengül" not in answer.text, name
    assert api.post(f"/api/tickets/{secret}/cancel").status_code == 404
    assert api.get(f"/api/tickets/{secret.lower()}").status_code == 404

    opened = routes(api, manage)
    assert {name: answer.status_code for name, answer in opened.items()} == dict.fromkeys(opened, 200)
    assert "Şengül Əliyeva" in opened["page"].text and opened["ticket"].json()["status"] == "confirmed"
    assert f"/api/tickets/{manage}/qr.png" in opened["page"].text and secret not in opened["page"].text
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(opened["qr"].content)))
    assert code.text == secret  # the page draws the ticket secret, never the manage secret
    ics = unfolded(opened["calendar"].text)
    assert secret not in ics and manage not in ics and "/t/" not in ics and "/api/tickets/" not in ics
    assert re.search(rf"^URL:\S+/e/{re.escape(event['id'])}\r?$", ics, re.MULTILINE), ics

    gate, scanner = door(api, event)
    assert scan(api, event, gate, scanner, manage).json()["reason"] == "invalid"  # the manage secret admits nobody
    assert scan(api, event, gate, scanner, secret).status_code == 201

    assert api.post(f"/api/tickets/{manage}/cancel").json()["status"] == "cancelled"
    shown = api.get(f"/api/events/{event['id']}/registrations/{person['id']}", token=api.admin_token).json()
    assert shown["status"] == "cancelled"


def test_a_forged_manage_secret_is_refused_before_anything_is_read(db, local_run, make_event, api, monkeypatch):
    """The tag is checked from the secret alone; only a genuine one makes the store read."""
    event = make_event()
    person = register(api, event)
    _, manage = local_run.secrets(db, person["id"])
    monkeypatch.setenv("KAPI_DATA_DIR", str(local_run.data_dir))
    from chalicelib.common.config import settings
    settings.cache_clear()
    issuing.signer.cache_clear()
    reads = []
    real_get = db.Registration.get

    def counted_get(*args, **kwargs):
        reads.append(args)
        return real_get(*args, **kwargs)
    monkeypatch.setattr(db.Registration, "get", counted_get)
    try:
        for forged in (manage[:-2] + ("AA" if not manage.endswith("AA") else "BB"), manage[:-1], "X" * 45):
            with pytest.raises(NotFound):
                lookup.find(db, forged)
        assert reads == []
        registration, _ = lookup.find(db, manage)
        assert registration.id == person["id"] and len(reads) == 1
    finally:
        settings.cache_clear()
        issuing.signer.cache_clear()


def issued_before_manage_secrets(db, registration_id):
    """What the store holds for a ticket issued before this change: no `manage_links`."""
    db.Registration(registration_id).update(actions=[Registration.manage_links.remove()])
    assert db.Registration.get(registration_id, consistent_read=True).manage_links is None


def test_a_ticket_issued_before_keeps_its_page_link_and_the_door(api, local_run, db, make_event):
    event = make_event(**DoorDay().event_fields())
    person = register(api, event, name="Gülşən Məmmədova", language="az")
    issued_before_manage_secrets(db, person["id"])
    secret, manage = local_run.secrets(db, person["id"])  # the inbox holds `/t/{secret}`: its only link

    opened = routes(api, secret)
    assert {name: answer.status_code for name, answer in opened.items()} == dict.fromkeys(opened, 200)
    assert "Gülşən Məmmədova" in opened["page"].text
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(opened["qr"].content)))
    assert code.text == secret
    assert secret not in unfolded(opened["calendar"].text)
    assert api.get(f"/api/tickets/{manage}").status_code == 200  # its emails from now on link this one
    forged = secret[:-3] + ("AAA" if not secret.endswith("AAA") else "BBB")
    assert api.get(f"/t/{forged}").status_code == 404

    gate, scanner = door(api, event)
    assert scan(api, event, gate, scanner, secret).status_code == 201
    assert api.post(f"/api/tickets/{secret}/cancel").json()["status"] == "cancelled"


def test_a_ticket_issued_before_loses_its_page_link_when_its_event_ends_or_it_is_reissued(api, local_run, db,
                                                                                           make_event):
    event = make_event(**DoorDay().event_fields())
    ending, reissued = register(api, event), register(api, event)
    for person in (ending, reissued):
        issued_before_manage_secrets(db, person["id"])
    old_secret, _ = local_run.secrets(db, reissued["id"])
    answer = api.post(f"/api/events/{event['id']}/registrations/{reissued['id']}/reissue", token=api.admin_token)
    assert answer.status_code == 200, answer.text
    new_secret, new_manage = local_run.secrets(db, reissued["id"])
    assert api.get(f"/t/{old_secret}").status_code == 404
    assert api.get(f"/t/{new_secret}").status_code == 404  # reissued now: its QR admits and nothing else
    assert api.get(f"/t/{new_manage}").status_code == 200

    secret, manage = local_run.secrets(db, ending["id"])
    assert api.get(f"/t/{secret}").status_code == 200
    record = db.Event.get(event["id"], consistent_read=True)
    record.update(actions=[db.Event.doc.set({**record.doc, "ends_at": dates.from_now(minutes=-1)})])
    assert api.get(f"/t/{secret}").status_code == 404
    assert api.post(f"/api/tickets/{secret}/cancel").status_code == 404
    assert api.get(f"/t/{manage}").status_code == 200  # the manage secret of its later emails still opens it
