import email
import email.policy
import html
import io
import re

import icalendar
import PIL.Image
import pytest
import zxingcpp

from chalicelib.i18n import localized, translate
from chalicelib.mail.compose import KINDS, TICKET_KINDS, compose
from chalicelib.tickets.links import ticket_links

LANGUAGES = ("tr", "az", "en")
SENDER = "Kapı Biletleri <tickets@kapi.example>"
TICKET_STRUCTURE = (
    "multipart/mixed",
    [("multipart/related", [("multipart/alternative", ["text/plain", "text/html"]), "image/png"]), "text/calendar"],
)
SOME_LINKS = ticket_links("https://kapi.example", "MANAGE", "some-event")


def _compose(kind, language, registration, event, secret, links, **overrides):
    arguments = dict(
        registration=registration,
        event=event,
        language=language,
        sender=SENDER,
        ticket={"secret": secret} if kind in TICKET_KINDS else None,
        links=links,
    )
    return compose(kind, **{**arguments, **overrides})


def _over_the_wire(message):
    raw = bytes(message)
    return raw, email.message_from_bytes(raw, policy=email.policy.default)


def _structure(part):
    if part.is_multipart():
        return part.get_content_type(), [_structure(child) for child in part.iter_parts()]
    return part.get_content_type()


def _bodies(parsed):
    return parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_in_every_language_arrives_with_its_letters_intact(kind, language, registration, event, secret, links):
    raw, parsed = _over_the_wire(_compose(kind, language, registration, event, secret, links))

    event_name = localized(event["name"], language)
    assert max(raw) < 128  # 7-bit clean: quoted-printable text, encoded-word headers
    assert parsed["Subject"] == translate(f"mail.{kind}.subject", language, event=event_name)
    assert parsed["To"].addresses[0].display_name == registration["name"]
    assert parsed["Content-Language"] == language
    plain, body = _bodies(parsed)
    for text in (translate("mail.greeting", language, name=registration["name"]), translate(f"mail.{kind}.lead", language)):
        assert text in plain
        assert html.escape(text) in body
    assert registration["ticket_type_name"] in plain
    assert html.escape(event_name) in body
    assert event_name in plain
    assert f'<html lang="{language}">' in body


@pytest.mark.parametrize("kind", sorted(TICKET_KINDS))
def test_a_ticket_email_carries_the_qr_inline_the_calendar_file_and_the_links(kind, registration, event, secret, links):
    _, parsed = _over_the_wire(_compose(kind, "az", registration, event, secret, links))

    assert _structure(parsed) == TICKET_STRUCTURE
    plain, body = _bodies(parsed)
    (image,) = [part for part in parsed.walk() if part.get_content_type() == "image/png"]
    cid = image["Content-ID"].strip("<>")
    assert image.get_content_disposition() == "inline"
    assert f'src="cid:{cid}"' in body
    width = int(re.search(r'<img src="cid:[^"]+" width="(\d+)"', body).group(1))
    assert width >= 240
    (decoded,) = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(image.get_content())))
    assert decoded.text == secret

    (calendar_part,) = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert calendar_part.get_filename() == "event.ics"
    assert calendar_part.get_param("method") == "PUBLISH"
    (entry,) = icalendar.Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert str(entry["UID"]) == f"{registration['id']}@kapi"
    assert str(entry["SUMMARY"]) == localized(event["name"], "az")
    assert str(entry["URL"]) == links["event"]  # the event's page: a calendar holds no secret (SPEC §16)
    unfolded = calendar_part.get_content().replace("\r\n ", "").replace("\n ", "")
    assert secret not in unfolded and links["ticket"].rpartition("/")[2] not in unfolded

    for url in (links["ticket"], links["cancel"], links["calendar"]):
        assert url in plain
        assert f'href="{url}"' in body


@pytest.mark.parametrize("kind", ["waitlisted", "pending_approval"])
def test_a_waiting_registration_gets_its_status_and_cancel_links_but_no_ticket(kind, registration, event, secret, links):
    _, parsed = _over_the_wire(_compose(kind, "tr", registration, event, secret, links))

    assert _structure(parsed) == ("multipart/alternative", ["text/plain", "text/html"])
    plain, body = _bodies(parsed)
    for url in (links["ticket"], links["cancel"]):
        assert url in plain
        assert f'href="{url}"' in body
    assert links["calendar"] not in plain


@pytest.mark.parametrize("kind", ["rejected", "cancelled"])
def test_a_closed_registration_gets_no_links(kind, registration, event, secret, links):
    _, parsed = _over_the_wire(_compose(kind, "en", registration, event, secret, links))

    assert _structure(parsed) == ("multipart/alternative", ["text/plain", "text/html"])
    plain, body = _bodies(parsed)
    assert "https://" not in plain
    assert "href=" not in body


@pytest.mark.parametrize("kind", KINDS)
def test_no_header_but_to_holds_the_attendees_name_or_address(kind, registration, event, secret, links):
    _, parsed = _over_the_wire(_compose(kind, "tr", registration, event, secret, links))

    local_part = registration["email"].split("@")[0]
    personal = [local_part, *registration["name"].split()]
    for name, value in parsed.items():
        if name != "To":
            assert not [word for word in personal if word.casefold() in str(value).casefold()], name
    assert parsed["Message-ID"].endswith("@kapi.example>")
    assert parsed["Date"]
    assert parsed["Auto-Submitted"] == "auto-generated"


def test_an_internationalised_domain_is_written_in_idna_form(event):
    registration = {"id": "aaaaaaaaaaaaaaaa", "name": "İlkin Işık", "email": "ilkin@örnek.com.tr", "ticket_type_name": "VIP"}
    _, parsed = _over_the_wire(_compose("waitlisted", "tr", registration, event, None, SOME_LINKS))

    assert parsed["To"].addresses[0].addr_spec == "ilkin@xn--rnek-4qa.com.tr"


def test_a_non_ascii_local_part_makes_an_smtputf8_message(event):
    registration = {"id": "aaaaaaaaaaaaaaaa", "name": "Şengül", "email": "şengül@example.az", "ticket_type_name": "VIP"}
    message = _compose("waitlisted", "az", registration, event, None, SOME_LINKS)
    parsed = email.message_from_string(bytes(message).decode("utf-8"), policy=email.policy.default)

    assert message.policy.utf8
    assert parsed["To"].addresses[0].addr_spec == "şengül@example.az"


def test_user_text_is_escaped_in_html_and_cannot_add_headers(event, signer):
    registration = {
        "id": "aaaaaaaaaaaaaaaa",
        "name": 'Evil <script>alert("x")</script>\r\nBcc: victim@example.com',
        "email": "evil@example.com",
        "ticket_type_name": "<img src=x onerror=alert(1)>",
    }
    hostile_event = {**event, "venue": '" onmouseover="alert(1)'}
    secret = signer.issue("x", registration["id"], 0)
    _, parsed = _over_the_wire(_compose("confirmed", "tr", registration, hostile_event, secret, SOME_LINKS))

    _, body = _bodies(parsed)
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "<img src=x" not in body
    assert '" onmouseover' not in body
    assert "&lt;İzmir &amp; Bakü&gt;" in body  # the event name
    assert parsed["Bcc"] is None
    assert "\n" not in parsed["To"]


def test_a_ticket_kind_needs_the_ticket_and_the_kind_must_be_known(registration, event, secret, links):
    with pytest.raises(ValueError):
        _compose("confirmed", "tr", registration, event, secret, links, ticket=None)
    with pytest.raises(ValueError):
        _compose("refunded", "tr", registration, event, secret, links)
