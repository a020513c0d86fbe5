"""Server-rendered pages: HTML from `string.Template` files, without a build step.

Every value put into a template is HTML-escaped unless it is `Markup` (`common.templates`, the
engine the emails share), which only a rendered template is. Text from users (names, event names,
venues) can therefore never become markup.

Pages are sent with headers that suit a URL holding a ticket secret. The Content-Security-Policy
allows only this origin's files: no inline script or style, so CSS and JS live in `static/`; only
the registration page may submit a form (to itself). `Referrer-Policy: no-referrer` keeps the URL
out of the Referer header, and `no-store` keeps the page out of shared and back/forward caches.

A page's language is `?lang=` (the language switcher's links), then the language the switcher
last remembered in a cookie, then Accept-Language (`pages.language`).

Every URL a page renders goes through `web.app_url` (`static.url` does), so pages work under API
Gateway's stage path (`/dev/t/…`) as well as under a custom domain; `<html data-base>` tells the
page's scripts the same prefix for their fetches.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.app import Response

from chalicelib.common.templates import Markup, Templates
from chalicelib.http.web import request_base
from chalicelib.i18n import SUPPORTED, translate
from chalicelib.pages import static
from chalicelib.pages.language import page_language, remember

_TEMPLATES = Path(__file__).with_name("templates")

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; "
                           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
FORM_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("form-action 'none'", "form-action 'self'")
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# Each language named in itself, so a reader finds their own whatever the page is in.
LANGUAGE_NAMES = {"tr": "Türkçe", "az": "Azərbaycanca", "en": "English"}


@dataclass(frozen=True)
class LanguageChoice:
    """What a request says about its reader's language (`?lang=`, the switcher's cookie,
    Accept-Language); `pages.language` decides."""
    query: str | None
    cookie: str | None  # the Cookie header
    accept: str | None

    @classmethod
    def of(cls, request: Any) -> "LanguageChoice":
        return cls((request.query_params or {}).get("lang"), request.headers.get("cookie"),
                   request.headers.get("accept-language"))

    def pick(self) -> str:
        return page_language(self.query, self.cookie, self.accept)

    def remember(self) -> dict[str, str]:
        """The header that keeps a switch made with `?lang=`."""
        return remember(self.query)


def attributes(**values: object) -> Markup:
    """HTML attributes, each value escaped: True gives a bare attribute, False and None none at all.
    An underscore in a name is a dash (`aria_describedby`); a trailing one is dropped (`for_`)."""
    parts = []
    for name, value in values.items():
        name = name.rstrip("_").replace("_", "-")
        if value is True:
            parts.append(f" {name}")
        elif value is not None and value is not False:
            parts.append(f' {name}="{html.escape(str(value))}"')
    return Markup("".join(parts))


render = Templates(_TEMPLATES).render


def html_page(*, language: str, title: str, content: Markup, scripts: tuple[str, ...] = (),
              modules: tuple[str, ...] = (), styles: tuple[str, ...] = (), status: int = 200,
              posts_form: bool = False, headers: dict[str, str] | None = None) -> Response:
    """A whole page around `content`, in `language`, with a language switcher and the page headers.

    `scripts` are classic scripts and `modules` ES modules under `static/`, `styles` more stylesheets;
    `posts_form` lets the page submit a form to this origin; `headers` add to or replace the page
    headers (the language cookie; a page that runs WebAssembly widens the CSP).
    """
    tags = [render("script.html", url=static.url(name)) for name in scripts]
    tags += [render("module.html", url=static.url(name)) for name in modules]
    body = render(
        "layout.html",
        lang=language,
        base=request_base(),
        title=title,
        icon_url=static.url("icon.svg"),
        css_url=static.url("kapi.css"),
        styles=Markup("".join(render("style.html", url=static.url(name)) for name in styles)),
        scripts=Markup("".join(tags)),
        language_label=translate("page.language", language),
        languages=Markup("".join(_language_link(code, language) for code in SUPPORTED)),
        content=content,
    )
    page_headers: dict[str, str | list[str]] = {**HEADERS, **(headers or {})}
    if posts_form:
        page_headers["Content-Security-Policy"] = FORM_CONTENT_SECURITY_POLICY
    return Response(body=body, status_code=status, headers=page_headers)


def message_page(area: str, language: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """A page that only says something: `<area>.title` and `<area>.lead` (not found, try again later)."""
    title = translate(f"{area}.title", language)
    content = render("message.html", title=title, lead=translate(f"{area}.lead", language))
    return html_page(language=language, title=title, content=content, status=status, headers=headers)


def _language_link(code: str, current: str) -> Markup:
    """A link to the same page in `code` (`?lang=` on the current path); the current one is marked."""
    return render("language.html", code=code, name=LANGUAGE_NAMES[code],
                  current=Markup(' aria-current="true"') if code == current else "")
