"""The attendee emails as complete MIME messages, in the registration's language.

The ticket kinds (confirmed, approved, promoted) are built like this:

    multipart/mixed
      multipart/related
        multipart/alternative
          text/plain
          text/html            shows the QR through <img src="cid:...">
        image/png              the QR code, inline
      text/calendar            event.ics, method=PUBLISH

The QR sits in the related part beside the alternative rather than inside it. A client that
shows only the plain text then still offers the QR as an attachment. The other kinds carry only
the text and HTML alternatives, with the links that kind needs.

Every text part is quoted-printable, so the message is 7-bit clean and passes through SMTP
servers without 8BITMIME and through SES unchanged. Text from users (names, event names,
venues) is HTML-escaped when it is put into a template. Headers hold the attendee's name and
address only in To.

The QR and .ics libraries load on the first ticket email, not at import.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Callable, Mapping

from chalicelib.common import clock
from chalicelib.common.dates import format_event_time
from chalicelib.common.templates import Markup, Templates
from chalicelib.i18n import DEFAULT, localized, pick_language, translate

_TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class _Action:
    template: str  # "button", "link" or "hint" (a sentence followed by the link)
    link: str  # key in `links`
    label: str  # catalogue key
    hint: str | None = None  # catalogue key, for "hint"


_OPEN_TICKET = _Action("button", "ticket", "mail.action.view_ticket")
_VIEW_STATUS = _Action("button", "ticket", "mail.action.view_status")
_ADD_TO_CALENDAR = _Action("link", "calendar", "mail.action.add_to_calendar")
_CANCEL = _Action("hint", "cancel", "mail.action.cancel", "mail.hint.cancel")
_LEAVE_WAITLIST = _Action("hint", "cancel", "mail.action.leave_waitlist", "mail.hint.leave_waitlist")

_TICKET_ACTIONS = (_OPEN_TICKET, _ADD_TO_CALENDAR, _CANCEL)

TICKET_KINDS = frozenset({"confirmed", "approved", "promoted"})
_ACTIONS: dict[str, tuple[_Action, ...]] = {
    "confirmed": _TICKET_ACTIONS,
    "approved": _TICKET_ACTIONS,
    "promoted": _TICKET_ACTIONS,
    "waitlisted": (_VIEW_STATUS, _LEAVE_WAITLIST),
    "pending_approval": (_VIEW_STATUS, _CANCEL),
    "rejected": (),
    "cancelled": (),
}
KINDS = tuple(_ACTIONS)


def compose(
    kind: str,
    *,
    registration: Mapping[str, str],
    event: Mapping[str, Any],
    language: str | None,
    sender: str,
    ticket: Mapping[str, str] | None = None,
    links: Mapping[str, str],
) -> EmailMessage:
    """Build one attendee email.

    `registration` holds `id, name, email, ticket_type_name`. `ticket` holds `secret` (the QR's) and is
    required for the ticket kinds. `links` comes from `tickets.links.ticket_links`. Raises
    ValueError for an unknown kind or an address that cannot be written in a header.
    """
    if kind not in _ACTIONS:
        raise ValueError(f"unknown mail kind {kind!r}")
    carries_ticket = kind in TICKET_KINDS
    if carries_ticket and not (ticket and ticket.get("secret")):
        raise ValueError(f"a {kind} email carries the ticket")
    language = pick_language(language) or DEFAULT
    text = functools.partial(translate, language=language)
    event_name = localized(event["name"], language)
    subject = _one_line(text(f"mail.{kind}.subject", event=event_name))
    details = {
        "greeting": text("mail.greeting", name=registration["name"]),
        "lead": text(f"mail.{kind}.lead"),
        "label_when": text("mail.label.when"),
        "when": format_event_time(event["starts_at"], event["ends_at"], event["timezone"], language),
        "label_where": text("mail.label.where"),
        "where": event.get("venue") or "",
        "label_ticket_type": text("mail.label.ticket_type"),
        "ticket_type": registration["ticket_type_name"],
        "label_name": text("mail.label.name"),
        "name": registration["name"],
        "footer": text("mail.footer", event=event_name),
    }
    actions = _ACTIONS[kind]

    recipient, ascii_local_part = _recipient(registration["name"], registration["email"])
    message = EmailMessage(policy=policy.SMTP if ascii_local_part else policy.SMTPUTF8)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    domain = message["From"].addresses[0].domain
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please

    text_body = _templates.text(
        "message.txt",
        **details,
        qr_note=f"\n{text('mail.show_qr')}\n" if carries_ticket else "",
        actions="".join(f"\n{_text_action(action, links, text)}\n" for action in actions),
    )
    qr_cid = make_msgid(domain=domain) if carries_ticket else ""
    html_body = _html(
        "layout.html",
        **details,
        lang=language,
        subject=subject,
        event_name=event_name,
        content=_html("qr.html", qr_cid=qr_cid[1:-1], qr_alt=text("mail.qr_alt"), show_qr=text("mail.show_qr"))
        if carries_ticket
        else Markup(),
        actions=Markup("".join(_html_action(action, links, text) for action in actions)),
    )
    if carries_ticket:
        _add_ticket_parts(message, text_body, html_body, qr_cid, ticket["secret"],  # type: ignore[index]  # carries_ticket
                          event, registration["id"], links, language)
    else:
        _add_alternatives(message, text_body, html_body)
    # Content-* headers go last: restructuring a message moves them into its first part.
    message["Content-Language"] = language
    return message


def _add_ticket_parts(
    message: EmailMessage,
    text_body: str,
    html_body: str,
    qr_cid: str,
    secret: str,
    event: Mapping[str, Any],
    registration_id: str,
    links: Mapping[str, str],
    language: str,
) -> None:
    from chalicelib.tickets.calendar import event_ics
    from chalicelib.tickets.qr import qr_png

    # The stdlib will not wrap an alternative in a related part, so the parts are nested by hand.
    alternatives = MIMEPart(policy=message.policy)
    _add_alternatives(alternatives, text_body, html_body)
    message.make_related()
    message["MIME-Version"] = "1.0"
    message.attach(alternatives)  # type: ignore[arg-type]  # the stubs want an EmailMessage; a MIMEPart works
    message.add_related(qr_png(secret), "image", "png", cid=qr_cid, disposition="inline", filename="ticket-qr.png")
    message.add_attachment(
        event_ics(event, registration_id, links["event"], language).decode("utf-8"),  # no secret in a calendar
        subtype="calendar",
        filename="event.ics",
        params={"method": "PUBLISH"},
        cte="quoted-printable",
    )


def _add_alternatives(part: MIMEPart, text_body: str, html_body: str) -> None:
    part.set_content(text_body, cte="quoted-printable")
    part.add_alternative(html_body, subtype="html", cte="quoted-printable")


_templates = Templates(_TEMPLATES)
_html = _templates.render


def _html_action(action: _Action, links: Mapping[str, str], text: Callable[..., str]) -> str:
    hint = {"hint": text(action.hint)} if action.hint else {}
    return _html(f"{action.template}.html", url=links[action.link], label=text(action.label), **hint)


def _text_action(action: _Action, links: Mapping[str, str], text: Callable[..., str]) -> str:
    line = f"{text(action.label)}: {links[action.link]}"
    return f"{text(action.hint)}\n{line}" if action.hint else line


def _recipient(name: str, email: str) -> tuple[Address, bool]:
    """The To address, and whether its local part is ASCII.

    An internationalised domain (örnek.com.tr) is written in its IDNA form, which every server
    accepts. A non-ASCII local part needs SMTPUTF8, so the caller switches the message policy.
    """
    local_part, _, domain = email.strip().rpartition("@")
    if not local_part or not domain:
        raise ValueError("not an email address")
    if not domain.isascii():
        import idna  # a dependency of email-validator

        domain = idna.encode(domain, uts46=True).decode("ascii")
    return Address(display_name=_one_line(name), username=local_part, domain=domain), local_part.isascii()


def _one_line(value: str) -> str:
    """Header text on one line: a line break in a name or event title must not become a new header."""
    return " ".join(value.split())
