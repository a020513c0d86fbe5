"""The registration page, `/e/{event_id}`: the event, its form, and the result of registering.

The form works without JavaScript: it posts to the page itself, which registers through the same
`registering.register` as the API and answers with the result, or with the form again showing
each error next to its field and every value kept. With JavaScript (`static/form/`), the page runs
the same checks first and sends the registration to the API; the texts it needs for the result and
for failures are rendered here, into `<template>`s, so no text lives in a script.

Both ways carry one Idempotency-Key per form fill (a hidden field made with the page), so a double
tap, a reload of the posted page or a retry after a lost answer registers once.

A filled honeypot field (`website`, hidden by the stylesheet, which bots filling every input do not
read) gets a result page that looks like success, and nothing is registered or sent.
"""
from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Response

from chalicelib.common.dates import format_event_time
from chalicelib.common.errors import ApiError, NotFound, ValidationError
from chalicelib.common.templates import Markup, escape
from chalicelib.events import counters, events
from chalicelib.forms import reading
from chalicelib.http.web import MAX_BODY_BYTES, app_url
from chalicelib.i18n import catalogue, localized, translate
from chalicelib.pages import LanguageChoice, attributes, form_html, html_page, message_page, render, seats
from chalicelib.registration import applicants, registering
from chalicelib.storage.tables import Tables

log = logging.getLogger("kapi")

STATUSES = ("confirmed", "waitlisted", "pending_approval")
FAILURES = ("already_registered", "registration_closed", "sold_out", "rate_limited", "unavailable",
            "conflict", "payload_too_large", "network", "other")
HONEYPOT = "website"


def event_page(db: Tables, event_id: str, choice: LanguageChoice) -> Response:
    loaded = _load(db, event_id, choice)
    if isinstance(loaded, Response):
        return loaded
    event, counts = loaded
    fields = reading.read(event["form"])
    values = {**_single_ticket_type(event, counts), **form_html.default_values(fields)}
    return _page(event, counts, choice, values=values)


def submit(db: Tables, event_id: str, choice: LanguageChoice, raw_body: bytes, *, client_key: str,
           rate_limit: int) -> Response:
    """The form posted without JavaScript: register, then show the result or the form with its errors."""
    loaded = _load(db, event_id, choice)
    if isinstance(loaded, Response):
        return loaded
    event, counts = loaded
    if len(raw_body) > MAX_BODY_BYTES:
        return _page(event, counts, choice, values={}, failure="payload_too_large", status=413)
    data = parse_qs(raw_body.decode("utf-8", "replace"), keep_blank_values=True)
    body = _registration(event, data, _registration_language(event, choice.pick()))
    if any(value.strip() for value in data.get(HONEYPOT, [])):
        log.info(json.dumps({"msg": "honeypot filled", "event_id": event_id}))
        return _page(event, counts, choice, values=data, result=("confirmed", body["email"]))
    key = (data.get("idempotency_key") or [""])[0] or None
    try:
        outcome = registering.register(db, event_id, body, client_key=client_key, rate_limit=rate_limit,
                                         idempotency_key=key)
    except ApiError as error:
        # Each message goes under its field's own label, so it does not repeat the label.
        details = [{"field": d.field, "message": d.text(choice.pick(), labelled=False)}
                   for d in error.details]
        return _page(event, counts, choice, values=data, details=details,
                     failure="errors" if isinstance(error, ValidationError) else error.code,
                     retry_after=error.extra.get("retry_after"), status=error.status)
    return _page(event, counts, choice, values=data, result=(outcome.body["status"], outcome.body["email"]))


def _load(db: Tables, event_id: str, choice: LanguageChoice) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    try:
        return events.load_visible(db, event_id), counters.read(db, event_id)
    except NotFound:
        return message_page("form.not_found", choice.pick(), 404)
    except ApiError as error:  # the store is busy or down: say so in the page's language, not in JSON
        return message_page("form.error", choice.pick(), error.status)


def _registration(event: dict[str, Any], data: form_html.FormData, language: str) -> dict[str, Any]:
    """The API's registration body from the posted form; answers of hidden conditional fields left out."""
    fields = reading.read(event["form"])
    answers = form_html.answers_from(fields, data, event["timezone"])
    body = {"name": _first(data, "name"), "email": _first(data, "email"), "language": language,
            "answers": reading.applicable_answers(fields, answers), "consent": "true" in data.get("consent", [])}
    if _first(data, "ticket_type"):
        body["ticket_type"] = _first(data, "ticket_type")
    return body


def _first(data: form_html.FormData, name: str) -> str:
    return (data.get(name) or [""])[0]


def _registration_language(event: dict[str, Any], language: str) -> str:
    """The page's language if the event speaks it (its emails are written only in its languages)."""
    return language if language in event["languages"] else event["languages"][0]


def _single_ticket_type(event: dict[str, Any], counts: dict[str, Any]) -> form_html.FormData:
    """The only ticket type left to choose, preselected."""
    open_types = _open_types(event, counters.available(event, counts))
    return {"ticket_type": open_types} if len(open_types) == 1 else {}


def _open_types(event: dict[str, Any], rooms: dict[str, int | None]) -> list[str]:
    """The ticket types one can still register for (a seat left, or a waiting list)."""
    return [t["id"] for t in event["ticket_types"] if not seats.sold_out(event, rooms, t["id"])]


def _page(event: dict[str, Any], counts: dict[str, Any], choice: LanguageChoice, *, values: form_html.FormData,
          details: list[dict[str, Any]] | None = None, failure: str | None = None, retry_after: int | None = None,
          result: tuple[str, str] | None = None, status: int = 200) -> Response:
    language = choice.pick()
    rooms = counters.available(event, counts)
    event_name = localized(event["name"], language)
    shows_form = result is None and events.registration_open(event) and bool(_open_types(event, rooms))
    if result is not None:
        body = _result(*result, language)
    elif shows_form:
        body = _form(event, rooms, language, values, details or [], failure, retry_after)
    else:  # closed, not open yet, or nothing left to register for
        body = render("paragraph.html", attrs=attributes(class_="notice"),
                      text=seats.event_seats(event, counts, language))
    description = localized(event.get("description"), language)
    content = render(
        "event.html",
        back_url=app_url(f"/?lang={language}"), back=translate("form.back", language),
        event_name=event_name,
        label_when=translate("form.label.when", language),
        when=format_event_time(event["starts_at"], event["ends_at"], event["timezone"], language),
        label_where=translate("form.label.where", language), where=event.get("venue") or "",
        label_seats=translate("form.label.seats", language), seats=seats.event_seats(event, counts, language),
        description=_paragraphs(description),
        body=body,
    )
    return html_page(language=language, title=translate("form.title", language, event=event_name),
                     content=content, modules=("form/main.js",) if shows_form else (), status=status,
                     posts_form=shows_form, headers=choice.remember())


def _ticket_choice(event: dict[str, Any], rooms: dict[str, Any], ticket_type: dict[str, Any],
                   language: str) -> form_html.Choice:
    """A ticket type as a choice: its name and seats left, unavailable once sold out."""
    seats_left = seats.ticket_seats(event, rooms, ticket_type["id"], language)
    label = f"{localized(ticket_type['name'], language)} · {seats_left}"
    return form_html.Choice(ticket_type["id"], label, disabled=seats.sold_out(event, rooms, ticket_type["id"]))


def _form(event: dict[str, Any], rooms: dict[str, Any], language: str, values: form_html.FormData,
          details: list[dict[str, Any]], failure: str | None, retry_after: int | None) -> Markup:
    fields = reading.read(event["form"])
    def text(key: str, **params: object) -> str:
        return translate(key, language, **params)

    fixed = [
        form_html.Control("name", "text", text("form.name.label"), text("form.name.help"), required=True,
                          schema={"minLength": 1, "maxLength": applicants.MAX_NAME},
                          input={"autocomplete": "name", "maxlength": applicants.MAX_NAME},
                          messages={"required": text("error.name.required"), "minLength": text("error.name.required"),
                                    "maxLength": text("error.name.too_long", limit=applicants.MAX_NAME)}),
        form_html.Control("email", "email", text("form.email.label"), text("form.email.help"), required=True,
                          schema={"format": "email"},
                          input={"autocomplete": "email", "inputmode": "email", "autocapitalize": "off",
                                 "spellcheck": "false"},
                          messages={"required": text("error.email.required"), "format": text("error.email.invalid")}),
        form_html.Control("ticket_type", "radio", text("form.ticket_type.label"), required=True,
                          choices=tuple(_ticket_choice(event, rooms, t, language) for t in event["ticket_types"]),
                          messages={"required": text("error.ticket_type.choose")}),
    ]
    consent = form_html.Control("consent", "boolean", text("form.consent.label"), required=True, schema={"const": True},
                                messages={"const": text("error.consent.required")})
    controls = fixed + form_html.answer_controls(fields, language, values, event["timezone"])
    errors, elsewhere = form_html.place_errors(details, [c.path for c in controls + [consent]])
    alert = ""
    if failure:
        alert = " ".join([_failure_text(failure, language, retry_after or 60), *elsewhere])
    privacy = localized(event.get("privacy"), language) or translate(
        "form.privacy.default", language, days=event["retention_days"])
    return render(
        "registration.html",
        alert=alert, alert_hidden=Markup("" if alert else " hidden"),
        action=app_url(f"/e/{event['id']}?lang={language}"),
        api=app_url(f"/api/events/{event['id']}/registrations"),
        language=_registration_language(event, language), timezone=event["timezone"],
        errors_text=translate("form.errors", language), sending=translate("form.sending", language),
        heading=translate("form.heading", language), required_note=translate("form.required_note", language),
        idempotency_key=_first(values, "idempotency_key") or str(uuid.uuid4()),
        controls=form_html.controls_html(controls, values, errors),
        privacy_heading=translate("form.privacy.heading", language), privacy=_paragraphs(privacy),
        consent=form_html.controls_html([consent], values, errors),
        honeypot=translate("form.honeypot", language), submit=translate("form.submit", language),
        templates=Markup("".join(
            [render("result_template.html", status=status, result=_result(status, "", language))
             for status in STATUSES]
            + [render("failure_template.html", code=code, text=_failure_text(code, language, "{seconds}"))
               for code in FAILURES])),
    )


def _failure_text(code: str, language: str, seconds: object) -> str:
    """A failure in words; `seconds` is when to try again after a 429 (the script's templates keep the
    placeholder `{seconds}` to fill in themselves)."""
    if code == "errors":
        return translate("form.errors", language)
    key = f"form.failure.{code}" if f"form.failure.{code}" in catalogue("en") else "form.failure.other"
    return translate(key, language, **({"seconds": seconds} if code == "rate_limited" else {}))


def _result(status: str, email: str, language: str) -> Markup:
    """The result, with the address shown back in `[data-slot=email]` (empty in the script's templates)."""
    lead = escape(translate(f"form.result.lead.{status}", language, email="\0"))
    return render("result.html", status=status, status_text=translate(f"form.result.status.{status}", language),
                  title=translate(f"form.result.title.{status}", language),
                  lead=Markup(lead.replace("\0", render("email_slot.html", email=email))),
                  spam=translate("form.result.spam", language))


def _paragraphs(text: str | None) -> Markup:
    """Text as paragraphs, one per blank-line-separated block."""
    blocks = [block.strip() for block in (text or "").replace("\r\n", "\n").split("\n\n") if block.strip()]
    return Markup("".join(render("paragraph.html", attrs="", text=block) for block in blocks))
