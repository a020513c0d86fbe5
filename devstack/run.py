"""`make run`: the whole system on this machine, no AWS account, no network.

Starts the local DynamoDB-compatible server (unless AWS_ENDPOINT_URL_DYNAMODB points elsewhere),
creates the tables, bootstraps the admin token, seeds the demo event, then serves the API on
KAPI_PORT together with the background workers that Lambda event sources run in AWS.

`--stop-with-parent` is for programs that start a run of their own (the tests, `make bench`): they
hold its stdin, and the run stops when they are gone, also after a kill -9 that no signal follows.
"""
from __future__ import annotations

import argparse
import errno
import os
import secrets
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

from chalicelib.common.atomicfile import write_atomic
from devstack import lifeline, loopback

LOCAL_DEFAULTS = {
    "KAPI_STAGE": "local",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "KAPI_MAIL_TRANSPORT": "outbox",
}


def admin_token(data_dir: Path) -> str:
    """KAPI_ADMIN_TOKEN if set, else the token kept in DATA_DIR/admin-token (made on first run)."""
    if os.environ.get("KAPI_ADMIN_TOKEN"):
        return os.environ["KAPI_ADMIN_TOKEN"]
    path = data_dir / "admin-token"
    write_atomic(path, secrets.token_urlsafe(32).encode(), overwrite=False)
    return path.read_text().strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    lifeline.add_option(parser)
    args = parser.parse_args(argv)
    loopback.bypass_proxy()
    data_dir = Path(os.environ.get("KAPI_DATA_DIR", ".kapi")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("KAPI_PORT", "8000"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Ctrl-C stops the run even when it was started in the background of a script, where SIGINT
    # arrives ignored: its children stop on it in any case, and the launcher must not outlive them.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.stop_with_parent:
        lifeline.watch_parent(lambda: os.kill(os.getpid(), signal.SIGTERM))  # a clean stop, as SIGTERM does
    with ExitStack() as stack:
        if not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
            from devstack.dynamo_process import DynamoProcess, ServerDidNotStart

            dynamo_port = int(os.environ.get("KAPI_DYNAMODB_PORT", "0"))  # 0: any free port
            try:
                dynamo = stack.enter_context(DynamoProcess(data_dir / "dynamodb", port=dynamo_port))
            except ServerDidNotStart:
                sys.exit(f"The local DynamoDB server did not start; its reason is above. Another `make run` "
                         f"on {data_dir}? Stop it, or give this one its own: "
                         f"KAPI_DATA_DIR=.kapi-2 KAPI_PORT={port + 1} make run")
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamo.endpoint
        for name, value in LOCAL_DEFAULTS.items():
            os.environ.setdefault(name, value)
        os.environ["KAPI_DATA_DIR"] = str(data_dir)
        os.environ["KAPI_ADMIN_TOKEN"] = admin_token(data_dir)
        os.environ["KAPI_CLIENT_IP_HEADER"] = "x-kapi-client-ip"
        serve(data_dir, port, stack)


def serve(data_dir: Path, port: int, stack: ExitStack) -> None:
    from app import app
    from chalicelib.common.config import settings
    from chalicelib.process import tables
    from devstack import demo, workers
    from devstack.app_server import make_server

    tables().create()
    if os.environ.get("KAPI_DEMO", "1") != "0":
        demo.seed(tables())
    stage_path = os.environ.get("KAPI_STAGE_PATH", "").rstrip("/")
    try:
        server = make_server(app, "127.0.0.1", port, stage_path)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        sys.exit(f"Port {port} is already in use (another `make run`?): stop it, or choose another port, "
                 f"e.g. KAPI_PORT={port + 1} make run")
    bound = server.server.server_address[1]
    stack.callback(server.server.server_close)
    host = f"http://127.0.0.1:{bound}"
    base = host + stage_path
    if "KAPI_PUBLIC_URL" not in os.environ:  # KAPI_PORT=0 picked a free port: emails must link to it
        os.environ["KAPI_PUBLIC_URL"] = base
        settings.cache_clear()
    stack.enter_context(workers.running())
    print(f"Kapı is running at {base}\n"
          f"  API:          {base}/api/events  (described at {base}/api/openapi.json)\n"
          f"  events:       {base}/  (each with its registration page, {base}/e/<event id>)\n"
          f"  ticket pages: {base}/t/<secret>  (linked from every ticket email)\n{_stage_note(stage_path)}"
          f"  admin token:  {os.environ['KAPI_ADMIN_TOKEN']}\n"
          f"  data:         {data_dir}  (emails in {data_dir / 'outbox'})\n"
          f"  DynamoDB:     {os.environ['AWS_ENDPOINT_URL_DYNAMODB']}\n{_fault_note()}"
          f"READY {host}", flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass


def _stage_note(stage_path: str) -> str:
    """KAPI_STAGE_PATH: served as API Gateway serves a stage without a custom domain (README)."""
    return f"  stage path:   {stage_path} (nothing answers outside it)\n" if stage_path else ""


def _fault_note() -> str:
    """The local DynamoDB server's fault mode, when KAPI_DYNAMO_FAULTS turned it on (README "Fault mode")."""
    from devstack.dynamo_faults import FaultConfig

    faults = FaultConfig.parse(os.environ.get("KAPI_DYNAMO_FAULTS", ""))
    return f"  fault mode:   {faults.describe()}\n" if faults != FaultConfig() else ""


if __name__ == "__main__":
    main()
