"""The server-rendered pages and their static files: events, the registration form, tickets, the
scanner and the dashboard."""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.common.config import settings
from chalicelib.http.web import json_view, query_param
from chalicelib.pages import LanguageChoice, static
from chalicelib.pages import dashboard as dashboard_page
from chalicelib.pages import home as home_pages
from chalicelib.pages import registration as registration_pages
from chalicelib.pages import scan as scan_pages
from chalicelib.pages import ticket as ticket_pages
from chalicelib.process import tables
from chalicelib.routes.calls import client

pages = Blueprint(__name__)


@pages.route("/", methods=["GET"])
def home_page() -> Any:
    return home_pages.home_page(tables(), LanguageChoice.of(pages.current_request))


@pages.route("/e/{event_id}", methods=["GET"])
def registration_page(event_id: str) -> Any:
    return registration_pages.event_page(tables(), event_id, LanguageChoice.of(pages.current_request))


@pages.route("/e/{event_id}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def registration_page_post(event_id: str) -> Any:
    """The form sent without JavaScript."""
    request = pages.current_request
    return registration_pages.submit(tables(), event_id, LanguageChoice.of(request), request.raw_body or b"",  # type: ignore[arg-type]
                                     client_key=client(request), rate_limit=settings().rate_limit_per_minute)


@pages.route("/t/{secret}", methods=["GET"])
def ticket_page(secret: str) -> Any:
    request = pages.current_request
    return ticket_pages.ticket_page(tables(), secret, query_param(request, "lang"),
                                    request.headers.get("accept-language"), request.headers.get("cookie"))


@pages.route("/scan", methods=["GET"])
def scan_page() -> Any:
    request = pages.current_request
    return scan_pages.scan_page(query_param(request, "lang"), request.headers.get("accept-language"))


@pages.route("/scan/sw.js", methods=["GET"])
def scan_service_worker() -> Any:
    return scan_pages.service_worker()


@pages.route("/dashboard", methods=["GET"])
def dashboard() -> Any:
    return dashboard_page.page(LanguageChoice.of(pages.current_request))


@pages.route("/static/{name}", methods=["GET"])
@pages.route("/static/{folder}/{name}", methods=["GET"])
@pages.route("/static/{folder}/{package}/{name}", methods=["GET"])
@json_view
def static_file(name: str, folder: str | None = None, package: str | None = None) -> Any:
    """Static files one to three folders deep (e.g. `vendor/<package>/<file>`)."""
    path = "/".join(part for part in (folder, package, name) if part)
    return static.response(path, query_param(pages.current_request, "v"))
