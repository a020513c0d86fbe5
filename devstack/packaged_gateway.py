"""API Gateway in front of a packaged function, for `make rehearse` (SPEC §12).

The same request handling as `make run` (devstack/app_server.py and its rules in gateway_rules.py: stage
path, binary by the first Accept type, 10 MB / 6 MB limits, 29 s timeout, gateway responses), but the
API is the deployed one and the integration is the packaged function:

- routes and binary media types are read from the deployed API's OpenAPI definition (the `Body` of the
  stack's `AWS::ApiGateway::RestApi`), not from the app;
- a path the definition has without the request's method is API Gateway's MISSING_AUTHENTICATION_TOKEN
  (the stack's gateway response makes it a 404 `not_found`), not the app's 405;
- the caller's address is `requestContext.identity.sourceIp`, as API Gateway sets it (no header);
- the event goes to a `devstack.lambda_runtime.PackagedFunction`; a function that raises or dies is
  API Gateway's 502 (INTEGRATION_FAILURE).
"""
from __future__ import annotations

import functools
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace
from typing import Any

from chalice.config import Config
from chalice.local import LocalDevServer

from devstack import app_server, gateway_rules
from devstack.lambda_runtime import InvocationError, PackagedFunction


class DeployedApi:
    """What the gateway needs of an "app": the deployed definition's routes and binary media types,
    and an integration that invokes the packaged function."""

    def __init__(self, definition: dict, function: PackagedFunction) -> None:
        self.routes = {path: {method.upper(): SimpleNamespace(authorizer=None, cors=None)
                              for method in operations if not method.startswith("x-")}
                       for path, operations in definition.get("paths", {}).items()}
        self.api = SimpleNamespace(binary_types=list(definition.get("x-amazon-apigateway-binary-media-types", [])))
        self.function = function

    def __call__(self, event: dict, context: Any) -> dict:
        return self.function.invoke(event)


class _DeployedGateway(app_server.DecodingGateway):
    def __init__(self, api: DeployedApi, config: Config, stage_path: str, client: str) -> None:
        super().__init__(api, config, stage_path)
        self.client = client

    def _generate_lambda_event(self, method, path, headers, body):
        event = super()._generate_lambda_event(method, path, headers, body)
        if method not in self._app_object.routes.get(event["requestContext"]["resourcePath"], {}):
            raise ValueError("no such method")  # LocalGateway answers it as a route it does not have
        event["headers"].pop(app_server.CLIENT_IP_HEADER, None)
        event["requestContext"]["identity"]["sourceIp"] = self.client
        return event


class PackagedRequestHandler(app_server.KapiRequestHandler):
    def __init__(self, request, client_address, server, app_object: DeployedApi, config: Config, *,  # noqa: D107
                 stage_path: str, timer: app_server.IntegrationTimer):
        self.local_gateway = _DeployedGateway(app_object, config, stage_path, client_address[0])
        self.timer = timer
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def _answer(self, body):
        try:
            return super()._answer(body)
        except InvocationError:
            raise gateway_rules.INTEGRATION_FAILURE from None


def make_server(api: DeployedApi, stage_path: str, timeout: float = gateway_rules.INTEGRATION_TIMEOUT,
                host: str = "127.0.0.1", port: int = 0) -> LocalDevServer:
    """A threaded server on `host` (loopback) serving the deployed API under `stage_path` ("/dev")."""
    config = Config.create(chalice_stage="rehearsal", app_name="kapi", lambda_timeout=int(timeout))
    handler = functools.partial(PackagedRequestHandler, stage_path=stage_path.rstrip("/"),
                                timer=app_server.IntegrationTimer(timeout))
    return LocalDevServer(api, config, host, port, handler_cls=handler,  # type: ignore[arg-type]
                          server_cls=app_server.BurstTolerantServer)
