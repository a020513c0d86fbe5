"""The local HTTP server: Chalice's own local gateway, with two things API Gateway does for us in AWS.

1. The caller's address reaches the app (Chalice local reports every caller as 127.0.0.1); it is put
   in a header that this server sets itself and strips from incoming requests.
2. Unknown routes answer 404 in the spec's error shape, as `infra/` configures API Gateway to do,
   instead of Chalice local's 403 "Missing Authentication Token"; methods no route can have (TRACE,
   QUERY, ...) answer 405 in that shape instead of the standard library's HTML 501.
3. Path and query parameters reach the app decoded, as API Gateway delivers them: path parameters
   percent-decoded (Chalice local leaves them encoded), and a query string typed with raw UTF-8
   (`curl '...?q=Şengül'`) read as UTF-8 (the standard library reads a request line as Latin-1).
4. Optionally (`stage_path`, KAPI_STAGE_PATH=/dev), API Gateway's URL without a custom domain: the app
   is served only under `/dev/...`, with the prefix stripped before routing and `requestContext.stage`
   and `.path` set as API Gateway sets them, so a page that links from the host's root breaks here
   as it would in AWS. Anything outside the stage is 404.
Request lines are not logged: paths carry ticket secrets.
"""
from __future__ import annotations

import functools
import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGateway,
    ThreadedHTTPServer,
)

from chalicelib.http.web import allowed_methods

CLIENT_IP_HEADER = "x-kapi-client-ip"
_NOT_FOUND = json.dumps({"error": "not_found", "message": "No such route.", "details": []}).encode()
_NOT_ALLOWED = json.dumps({"error": "method_not_allowed", "message": "Method not allowed.", "details": []}).encode()


class BurstTolerantServer(ThreadedHTTPServer):
    """A listen backlog for a gate's worth of phones at once (the default of 5 resets connections)."""
    request_queue_size = 256


class DecodingGateway(LocalGateway):
    """Chalice's local gateway with API Gateway's decoded `pathParameters` (routes still match the
    encoded path, so an encoded "/" stays inside its parameter)."""

    def __init__(self, app_object, config, stage_path: str = ""):
        super().__init__(app_object, config)
        self.stage_path = stage_path

    def _generate_lambda_event(self, method, path, headers, body):
        event = super()._generate_lambda_event(method, path, headers, body)
        if self.stage_path:
            event["requestContext"].update(stage=self.stage_path.strip("/"),
                                           path=self.stage_path + event["requestContext"]["path"])
        event["pathParameters"] = {name: unquote(value, errors="replace")
                                   for name, value in (event["pathParameters"] or {}).items()}
        return event


class KapiRequestHandler(ChaliceRequestHandler):
    # Chalice writes the headers and the body separately; with Nagle's algorithm the body then waits
    # for the client's delayed ACK, about 40 ms on every request (measured: a 404 took 47 ms, 1.8 ms
    # without). A buffered writer also sends them as one segment: one send and one wake-up of the
    # client instead of two. It is flushed after every request, also the ones the standard library
    # answers itself before any handler runs (a method no route has, a malformed request line).
    disable_nagle_algorithm = True
    wbufsize = -1

    def handle_one_request(self):
        try:
            super().handle_one_request()
        finally:
            if not self.wfile.closed:
                self.wfile.flush()

    def __init__(self, request, client_address, server, app_object, config, stage_path=""):  # noqa: D107
        self.local_gateway = DecodingGateway(app_object, config, stage_path)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def _generic_handle(self):
        # The request line was read as Latin-1; raw bytes of a UTF-8 query come back as typed.
        self.path = self.path.encode("latin-1").decode("utf-8", errors="replace")
        path = _within_stage(self.path, self.local_gateway.stage_path)
        if path is None:
            self._parse_payload()  # read the body, so the connection stays usable
            self._send_http_response(404, {"Content-Type": "application/json"}, _NOT_FOUND)
            return
        self.path = path
        super()._generic_handle()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _parse_payload(self):
        headers, body = super()._parse_payload()
        headers = {k: v for k, v in headers.items() if k.lower() != CLIENT_IP_HEADER}
        headers[CLIENT_IP_HEADER] = self.client_address[0]
        return headers, body

    def _send_error_response(self, error):
        if isinstance(error, ForbiddenError):
            self._send_http_response(404, {"Content-Type": "application/json"}, _NOT_FOUND)
            return
        super()._send_error_response(error)

    def send_error(self, code, message=None, explain=None):
        if code == 501:  # the standard library's answer to a method it has no do_<METHOD> for
            self._send_http_response(405, {"Content-Type": "application/json", "Allow": self._allowed()},
                                     _NOT_ALLOWED)
            return
        super().send_error(code, message, explain)

    def _allowed(self) -> str:
        """The methods of the route this path matches (none when it matches no route)."""
        gateway = self.local_gateway
        try:
            route = gateway.event_converter._route_matcher.match_route(
                _within_stage(self.path, gateway.stage_path) or "").route
        except ValueError:
            return ""
        return allowed_methods(gateway._app_object.routes, route)

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def _within_stage(path: str, stage_path: str) -> str | None:
    """The path the app routes (`/dev/t/X` → `/t/X`), or None when it lies outside the stage."""
    if not stage_path:
        return path
    rest = path[len(stage_path):]
    if not path.startswith(stage_path) or rest[:1] not in ("", "/", "?"):
        return None
    return rest if rest.startswith("/") else "/" + rest


def make_server(app, host: str, port: int, stage_path: str = "") -> LocalDevServer:
    """A threaded server for `app`; port 0 picks a free port (see `server.server.server_address`).
    `stage_path` ("/dev") serves it as API Gateway does without a custom domain.

    Chalice's `create_local_server` makes `app.current_request` thread-local by swapping the app's
    class; the same is done here so a custom request handler can be used.
    """
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    config = Config.create(chalice_stage="local", app_name=app.app_name, lambda_timeout=60)
    handler = functools.partial(KapiRequestHandler, stage_path=stage_path.rstrip("/"))
    return LocalDevServer(app, config, host, port, handler_cls=handler, server_cls=BurstTolerantServer)
