"""The organiser dashboard, `/dashboard`: a server-rendered shell whose data comes from the API.

Every figure on it needs an organiser or admin token, which the browser keeps (localStorage) and
sends as `Authorization: Bearer`; the server never sees it on this page's own request, so the shell
is the same for everyone and holds no personal data. The labels are rendered here in the page's
language; the texts the scripts need (messages, states, chart labels) travel in `data-texts`, the
`dashboard` area of the catalogue, so no user-facing text lives in the scripts.
"""
from __future__ import annotations

import json

from chalice.app import Response

from chalicelib.http.web import app_url
from chalicelib.i18n import catalogue, translate
from chalicelib.pages import LanguageChoice, html_page, render, static

AREA = "dashboard."
MODULE = "dashboard/main.js"


def texts(language: str) -> dict[str, str]:
    """The dashboard's messages in `language`, English where a translation is missing."""
    english = {k: v for k, v in catalogue("en").items() if k.startswith(AREA)}
    return {key: catalogue(language).get(key, text) for key, text in english.items()}


def page(choice: LanguageChoice) -> Response:
    language = choice.pick()
    messages = texts(language)
    labels = {key.replace(".", "_"): text for key, text in messages.items()}
    content = render("dashboard.html", lang=language, texts=json.dumps(messages, ensure_ascii=False),
                     css_url=static.url("dashboard/dashboard.css"), scan_url=app_url("/scan"), **labels)
    return html_page(language=language, title=translate("dashboard.title", language), content=content,
                     modules=(MODULE,), headers=choice.remember())
