"""Which language a page speaks, and remembering the attendee's own choice.

A page about one registration speaks the language the attendee registered in, not the browser's:
the email came in that language, and a phone set to Turkish may belong to someone who chose
Azerbaijani. Only the attendee's own choice overrides it: the switcher's `?lang=` link, which the
page then remembers in a cookie, so the next visit (say, from the email link again) keeps it.
Pages about no registration (the 404 page) fall back to Accept-Language.
"""
from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from chalicelib.i18n import negotiate, pick_language

COOKIE = "kapi_lang"
_YEAR = 365 * 24 * 3600


def chosen(query_lang: str | None, cookie_header: str | None) -> str | None:
    """The language the visitor picked: `?lang=`, else the switcher's cookie; None if neither."""
    return pick_language(query_lang) or pick_language(_cookie(cookie_header))


def page_language(query_lang: str | None, cookie_header: str | None, accept_language: str | None,
                  own: str | None = None) -> str:
    """The visitor's choice, else the registration's own language (`own`), else Accept-Language."""
    return chosen(query_lang, cookie_header) or pick_language(own) or negotiate(accept_language)


def remember(query_lang: str | None) -> dict[str, str]:
    """The Set-Cookie header that keeps a switch made with `?lang=` (none without one)."""
    language = pick_language(query_lang)
    if not language:
        return {}
    return {"Set-Cookie": f"{COOKIE}={language}; Path=/; Max-Age={_YEAR}; SameSite=Lax; HttpOnly"}


def _cookie(header: str | None) -> str | None:
    if not header:
        return None
    try:
        morsel = SimpleCookie(header).get(COOKIE)
    except CookieError:
        return None
    return morsel.value if morsel else None
