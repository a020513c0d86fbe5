"""Server-rendered pages: HTML from `string.Template` files, without a build step.

Every value put into a template is HTML-escaped unless it is `Markup`, which only this package
makes (a rendered template). Text from users (names, event names, venues) can therefore never
become markup.

Pages are sent with headers that suit a URL holding a ticket secret. The Content-Security-Policy
allows only this origin's files: no inline script or style, so CSS and JS live in `static/`.
Every URL a page renders goes through `web.app_url` (`static.url` does), so pages work under API
Gateway's stage path (`/dev/t/…`) as well as under a custom domain; `<html data-base>` tells the
page's scripts the same prefix for their fetches.
`Referrer-Policy: no-referrer` keeps the URL out of the Referer header, and `no-store` keeps the
page out of shared and back/forward caches.
"""
from __future__ import annotations

import functools
import html
from pathlib import Path
from string import Template

from chalice import Response

from chalicelib.i18n import SUPPORTED, translate
from chalicelib.pages import static
from chalicelib.web import request_base

_TEMPLATES = Path(__file__).with_name("templates")

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; "
                           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# Each language named in itself, so a reader finds their own whatever the page is in.
LANGUAGE_NAMES = {"tr": "Türkçe", "az": "Azərbaycanca", "en": "English"}


class Markup(str):
    """HTML built by `render`, inserted into another template as it is."""


@functools.cache
def _template(name: str) -> Template:
    return Template((_TEMPLATES / name).read_text(encoding="utf-8"))


def render(template: str, /, **values: object) -> Markup:
    return Markup(_template(template).substitute(
        {key: value if isinstance(value, Markup) else html.escape(str(value)) for key, value in values.items()}))


def html_page(*, language: str, title: str, content: Markup, scripts: tuple[str, ...] = (),
              status: int = 200) -> Response:
    """A whole page around `content`, in `language`, with a language switcher and the page headers."""
    body = render(
        "layout.html",
        lang=language,
        base=request_base(),
        title=title,
        icon_url=static.url("icon.svg"),
        css_url=static.url("kapi.css"),
        scripts=Markup("".join(render("script.html", url=static.url(name)) for name in scripts)),
        language_label=translate("page.language", language),
        languages=Markup("".join(_language_link(code, language) for code in SUPPORTED)),
        content=content,
    )
    return Response(body=body, status_code=status, headers=dict(HEADERS))


def _language_link(code: str, current: str) -> Markup:
    """A link to the same page in `code` (`?lang=` on the current path); the current one is marked."""
    return render("language.html", code=code, name=LANGUAGE_NAMES[code],
                  current=Markup(' aria-current="true"') if code == current else "")
