"""The public event list, `/`: published events that have not ended, soonest first.

Each shows its dates in its own time zone, its venue and the room left (seats, "waiting list",
"sold out", or that registration is closed), and links to its registration page in the page's
language. The counts of all events come in one BatchGetItem per 100 events.
"""
from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.common import clock
from chalicelib.common.dates import format_event_time
from chalicelib.common.errors import ApiError
from chalicelib.common.templates import Markup
from chalicelib.events import counters, events
from chalicelib.http.web import app_url
from chalicelib.i18n import localized, translate
from chalicelib.pages import LanguageChoice, attributes, html_page, message_page, render, seats
from chalicelib.storage.tables import Tables


def home_page(db: Tables, choice: LanguageChoice) -> Response:
    language = choice.pick()
    try:
        now = clock.now()
        listed = sorted((event for event in events.published(db) if clock.parse_iso(event["ends_at"]) > now),
                        key=lambda event: clock.parse_iso(event["starts_at"]))
        counts = counters.read_many(db, [event["id"] for event in listed])
    except ApiError as error:  # the store is busy or down
        return message_page("form.error", language, error.status)
    cards = "".join(_card(event, counts[event["id"]], language, n) for n, event in enumerate(listed))
    title = translate("form.home.title", language)
    content = render("home.html", title=title, lead=translate("form.home.lead", language),
                     events=Markup(cards) if cards else render(
                         "paragraph.html", attrs=attributes(class_="notice"),
                         text=translate("form.home.empty", language)))
    return html_page(language=language, title=title, content=content, headers=choice.remember())


def _card(event: dict[str, Any], counts: dict[str, Any], language: str, index: int) -> Markup:
    return render(
        "home_event.html", id=f"event-{index}", name=localized(event["name"], language),
        label_when=translate("form.label.when", language),
        when=format_event_time(event["starts_at"], event["ends_at"], event["timezone"], language),
        label_where=translate("form.label.where", language), where=event.get("venue") or "",
        label_seats=translate("form.label.seats", language),
        seats=seats.event_seats(event, counts, language),
        url=app_url(f"/e/{event['id']}?lang={language}"), register=translate("form.home.register", language))
