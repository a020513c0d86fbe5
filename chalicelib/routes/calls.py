"""What every handler asks of a request: who is calling, in which language, from which client."""
from __future__ import annotations

from chalice.app import Request

from chalicelib.access import auth
from chalicelib.common.config import settings
from chalicelib.http.web import client_key
from chalicelib.i18n import negotiate
from chalicelib.process import tables


def caller(request: Request, roles: tuple[str, ...], event_id: str | None = None) -> auth.Principal:
    """The authenticated caller, with one of `roles` and (with `event_id`) that event in scope; 401/403 otherwise."""
    return auth.authenticate(tables(), request.headers.get("authorization")).require(roles, event_id)


def language(request: Request) -> str:
    """The caller's language from Accept-Language (a query's `lang` where the route takes one)."""
    return negotiate(request.headers.get("accept-language"), (request.query_params or {}).get("lang"))  # type: ignore[call-overload]


def client(request: Request) -> str:
    """The caller's keyed address, for the registration rate limit."""
    return client_key(request, settings().client_ip_header)
