"""The attendee's ticket page, `/t/{secret}`: the link in every ticket email.

It shows the event, the attendee and the registration's status in words. A confirmed ticket
gets its QR code (the API's PNG, drawn at least 280 px wide so a gate scanner reads it off a
phone), a calendar link and a cancel button; waitlisted and pending registrations can be
cancelled too. Cancelling takes two presses (`static/ticket.js`), because an email's cancel link
(`#cancel`) only opens the page: no GET ever cancels.

The language is the one the attendee registered in, unless they switched (`?lang=`, remembered
in a cookie: `pages.language`). A secret that is unknown, forged, replaced by a reissue or erased gets a localised
404 page, never the API's JSON.
"""
from __future__ import annotations

from chalice.app import Response

from chalicelib.common.dates import format_event_time
from chalicelib.common.errors import ApiError, NotFound
from chalicelib.common.templates import Markup
from chalicelib.events import definition
from chalicelib.http.web import app_url
from chalicelib.i18n import localized, translate
from chalicelib.pages import html_page, message_page, render
from chalicelib.pages.language import page_language, remember
from chalicelib.storage.retries import unavailable_when_busy
from chalicelib.storage.tables import Tables
from chalicelib.tickets import lookup

CANCELLABLE = frozenset({"confirmed", "waitlisted", "pending_approval"})


def ticket_page(db: Tables, secret: str, query_lang: str | None, accept_language: str | None,
                cookie: str | None = None) -> Response:
    response = _page(db, secret, query_lang, accept_language, cookie)
    response.headers.update(remember(query_lang))
    return response


def _page(db: Tables, secret: str, query_lang: str | None, accept_language: str | None, cookie: str | None) -> Response:
    try:
        with unavailable_when_busy():
            registration, event = lookup.find(db, secret)
    except NotFound:
        return message_page("page.not_found", page_language(query_lang, cookie, accept_language), 404)
    except ApiError as error:  # the store is busy or down: say so in the page's language, not in JSON
        return message_page("page.error", page_language(query_lang, cookie, accept_language), error.status,
                            error.headers)
    language = page_language(query_lang, cookie, accept_language, own=registration.language)
    event_name = localized(event["name"], language)
    status = registration.status
    ticket_type = definition.ticket_type(event, registration.ticket_type)
    base = app_url(f"/api/tickets/{secret}")
    content = render(
        "ticket.html",
        event_name=event_name,
        status=status,
        status_label=translate("page.ticket.status_label", language),
        status_text=translate(f"page.ticket.status.{status}", language),
        cancelled_status=translate("page.ticket.status.cancelled", language),
        lead=translate(f"page.ticket.lead.{status}", language),
        cancelled_lead=translate("page.ticket.lead.cancelled", language),
        qr=render("qr.html", url=f"{base}/qr.png", alt=translate("page.ticket.qr_alt", language))
        if status == "confirmed" else "",
        label_when=translate("page.ticket.label.when", language),
        when=format_event_time(event["starts_at"], event["ends_at"], event["timezone"], language),
        label_where=translate("page.ticket.label.where", language),
        where=event.get("venue") or "",
        label_name=translate("page.ticket.label.name", language),
        name=registration.name,
        label_ticket_type=translate("page.ticket.label.ticket_type", language),
        ticket_type=localized(ticket_type["name"], language),
        calendar=render("calendar.html", url=f"{base}/calendar.ics",
                        label=translate("page.ticket.add_to_calendar", language))
        if status == "confirmed" else "",
        cancel=_cancel_section(base, status, language) if status in CANCELLABLE else "",
    )
    title = translate("page.ticket.title", language, event=event_name)
    return html_page(language=language, title=title, content=content, scripts=("ticket.js",))


def _cancel_section(base: str, status: str, language: str) -> Markup:
    def text(key: str) -> str:
        return translate(f"page.ticket.cancel.{key}", language)

    return render("cancel.html", url=f"{base}/cancel", heading=text("heading"), hint=text(f"hint.{status}"),
                  start=text("start"), question=text("question"), confirm=text("confirm"), keep=text("keep"),
                  working=text("working"), done=text("done"), failed=text("failed"))
