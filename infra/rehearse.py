"""`make rehearse` (SPEC §12): the packaged stack deployed to an AWS stand-in and an event day run through it.

    make rehearse     # packages dev and prod (make package), then: python -m infra.rehearse --build build/rehearsal

1. moto's server on 127.0.0.1 with CloudFormation's SAM transform and rollback (devstack/aws_standin.py);
2. `make deploy`'s own code (infra.deploy.main) creates the dev stack and prints the first admin token;
3. the deployed `api_handler` runs as Lambda runs it (devstack/lambda_runtime.py: the zips the stack
   names, read-only, a fresh interpreter without the virtualenv, only the template's configuration)
   behind API Gateway's rules (devstack/packaged_gateway.py: the deployed API definition, stage `/dev`);
4. the journey over HTTP: an event and a scanner token made with the printed admin token, a
   registration, the ticket page and its QR as bytes, the scanner page and its decoder for `Accept: */*`,
   the offline bundle, a scan, the attendance;
5. an update with a changed function (its rate limit), which the next instance obeys; a rerun without
   change; the prod stage's first deploy failing (a log group in the way) and the rerun that recovers;
   `make destroy` of both: dev's tables go, prod's stay.

Every step is printed with the time it ended; the first failure ends the run with exit status 1.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REGION = "eu-central-1"
MOTO_SKIPS = "No Moto CloudFormation support for"
ZONE = "Europe/Istanbul"


class RehearsalFailed(Exception):
    pass


def check(condition: object, what: str) -> None:
    if not condition:
        raise RehearsalFailed(what)


@dataclass
class Log:
    started: float

    def step(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)


def aws_environment(endpoint: str) -> None:
    """This process's AWS clients aimed at the stand-in, whatever the environment said."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            del os.environ[name]
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="rehearsal", AWS_SECRET_ACCESS_KEY="rehearsal",
                      AWS_DEFAULT_REGION=REGION, KAPI_DEPLOY_POLL_SECONDS="1")


def run_deploy(*args: str) -> tuple[int, str]:
    """infra.deploy.main, as `make deploy` / `make destroy` run it; its output, indented, and kept."""
    from infra import deploy

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = deploy.main(list(args))
    text = out.getvalue()
    skipped: dict[str, int] = {}
    for line in text.rstrip().splitlines():
        if line.startswith(MOTO_SKIPS):  # moto's own print, from its server's thread
            kind = line.removeprefix(MOTO_SKIPS).strip()
            skipped[kind] = skipped.get(kind, 0) + 1
        else:
            print(f"          | {line}")
    if skipped:
        print("          | (moto's CloudFormation does not create: "
              + ", ".join(f"{kind} x{count}" for kind, count in sorted(skipped.items())) + ")")
    return code, text


def admin_token(output: str) -> str:
    marker = "first admin token (shown once, keep it safe): "
    tokens = [line.split(marker, 1)[1].strip() for line in output.splitlines() if marker in line]
    check(len(tokens) == 1, "the deploy that created the stack printed one admin token")
    return tokens[0]


def deployed_template(stack: str) -> dict:
    import boto3

    body = boto3.client("cloudformation").get_template(StackName=stack, TemplateStage="Processed")["TemplateBody"]
    return json.loads(body) if isinstance(body, str) else body


def function_config(stack: str, logical_id: str):
    """The function as the deployed template declares it, with its code and layers from S3."""
    import boto3

    from devstack.lambda_runtime import FunctionConfig

    resources = deployed_template(stack)["Resources"]
    properties = resources[logical_id]["Properties"]
    s3 = boto3.client("s3")

    def fetch(location: dict) -> bytes:
        return s3.get_object(Bucket=location["S3Bucket"], Key=location["S3Key"])["Body"].read()

    layers = [fetch(resources[layer["Ref"]]["Properties"]["Content"]) for layer in properties.get("Layers", [])]
    return FunctionConfig(name=properties["FunctionName"], handler=properties["Handler"],
                          runtime=properties["Runtime"], memory=int(properties.get("MemorySize", 128)),
                          timeout=int(properties.get("Timeout", 3)),
                          environment=dict(properties.get("Environment", {}).get("Variables", {})),
                          code=fetch(properties["Code"]), layers=layers)


def api_definition(stack: str) -> dict:
    [api] = [r for r in deployed_template(stack)["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    return api["Properties"]["Body"]


class Gateway:
    """The deployed API in front of one instance of the packaged api_handler."""

    def __init__(self, stack: str, stage_path: str, endpoint: str) -> None:
        from devstack.lambda_runtime import PackagedFunction
        from devstack.packaged_gateway import DeployedApi, make_server

        self.function = PackagedFunction(function_config(stack, "APIHandler"), {
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "rehearsal", "AWS_SECRET_ACCESS_KEY": "rehearsal",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}).start()
        self.server = make_server(DeployedApi(api_definition(stack), self.function), stage_path)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, port = self.server.server.server_address[:2]
        self.url = f"http://{host}:{port}{stage_path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server.server_close()
        self.function.stop()


def journey(gateway: Gateway, token: str, log: Log) -> str:
    """An organiser, an attendee and a door, over HTTP through the gateway."""
    import requests

    http = requests.Session()
    admin = {"Authorization": f"Bearer {token}"}
    base = gateway.url
    opening = datetime.now(ZoneInfo(ZONE)).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    event_id = f"rehearsal-{uuid.uuid4().hex[:8]}"
    created = http.post(f"{base}/api/events", headers=admin, timeout=30, json={
        "id": event_id, "name": {"tr": "Prova", "en": "Rehearsal"}, "venue": "İzmir", "status": "published",
        "starts_at": opening.isoformat(), "ends_at": (opening + timedelta(hours=10)).isoformat(),
        "registration_opens_at": (opening - timedelta(days=7)).isoformat(), "timezone": ZONE})
    check(created.status_code == 201, f"the admin token creates an event: {created.status_code} {created.text[:300]}")
    log.step(f"ok  event {event_id} created with the printed admin token (cold start: "
             f"{gateway.function.init_seconds:.2f} s to import the handler)")
    made = http.post(f"{base}/api/tokens", headers=admin, timeout=30,
                     json={"role": "scanner", "events": [event_id], "label": "gate 1"})
    check(made.status_code == 201, f"a scanner token is made: {made.status_code} {made.text[:300]}")
    scanner = {"Authorization": f"Bearer {made.json()['token']}"}
    door = http.post(f"{base}/api/events/{event_id}/checkin-lists", headers=admin, timeout=30,
                     json={"name": "Ana kapı"})
    check(door.status_code == 201, f"a check-in list is made: {door.status_code} {door.text[:300]}")
    log.step("ok  scanner token and check-in list")

    registered = http.post(f"{base}/api/events/{event_id}/registrations", timeout=30, json={
        "name": "Şengül Əliyeva", "email": "sengul@example.org", "language": "tr", "answers": {}, "consent": True})
    check(registered.status_code == 201, f"an attendee registers: {registered.status_code} {registered.text[:300]}")
    registration = registered.json()
    secret, manage = ticket_secrets(event_id, registration["id"])
    log.step(f"ok  registered {registration['id']} ({registration.get('status')}); ticket signed with the "
             "stage's keys from SSM")

    page = http.get(f"{base}/t/{manage}", timeout=30, headers={"Accept": "text/html,*/*;q=0.8"})
    check(page.status_code == 200 and page.text.startswith("<!DOCTYPE html>"),
          f"the ticket page: {page.status_code} {page.text[:200]}")
    qr_url = f"/dev/api/tickets/{manage}/qr.png"
    check(qr_url in page.text, "the ticket page links its QR under the stage path")
    for accept in ("image/avif,image/webp,*/*", "*/*", None):
        qr = http.get(f"{base}/api/tickets/{manage}/qr.png", timeout=30, headers={"Accept": accept} if accept else {})
        check(qr.status_code == 200 and qr.content.startswith(b"\x89PNG\r\n\x1a\n"),
              f"the QR arrives as PNG bytes for Accept {accept!r}: {qr.status_code} {qr.content[:20]!r}")
    log.step(f"ok  ticket page; its QR is PNG bytes ({len(qr.content)} B) for a browser's, fetch's and no Accept")

    scan_page = http.get(f"{base}/scan", timeout=30)
    check(scan_page.status_code == 200 and "/dev/" in scan_page.text, f"the scanner page: {scan_page.status_code}")
    decoder = decoder_url(scan_page.text, base)
    wasm = http.get(decoder, timeout=30, headers={"Accept": "*/*"})
    from chalicelib.pages import static

    on_disk = (static._DIRECTORY / "vendor/zxing-wasm/zxing_reader.wasm").read_bytes()
    check(wasm.status_code == 200 and wasm.content == on_disk,
          f"the decoder arrives as its exact bytes for Accept */*: {wasm.status_code} {wasm.content[:8]!r}")
    log.step(f"ok  scanner page; decoder wasm exact ({len(wasm.content):,} B, Accept */*)")

    bundle = http.get(f"{base}/api/events/{event_id}/offline-bundle", headers=scanner, timeout=30)
    check(bundle.status_code == 200, f"the offline bundle: {bundle.status_code} {bundle.text[:200]}")
    scanned = http.post(f"{base}/api/events/{event_id}/checkin-lists/{door.json()['id']}/scans", headers=scanner,
                        timeout=30, json={"secret": secret, "type": "entry"})
    check(scanned.status_code == 201, f"the ticket is admitted: {scanned.status_code} {scanned.text[:300]}")
    again = http.post(f"{base}/api/events/{event_id}/checkin-lists/{door.json()['id']}/scans", headers=scanner,
                      timeout=30, json={"secret": secret, "type": "entry"})
    check(again.status_code != 201, f"the same ticket twice is refused: {again.status_code}")
    attendance = http.get(f"{base}/api/events/{event_id}/attendance", headers=admin, timeout=30)
    lists = attendance.json().get("lists", []) if attendance.status_code == 200 else []
    check([entry.get("inside_count") for entry in lists] == [1],
          f"the attendance counts one inside: {attendance.status_code} {attendance.text[:300]}")
    log.step(f"ok  offline bundle ({len(bundle.content):,} B); scan admitted, the second refused "
             f"({again.status_code} {again.json().get('reason') or again.json().get('error')}); attendance: one inside")
    missing = http.delete(f"{base}/scan", timeout=30)
    check(missing.status_code == 404 and missing.json()["error"] == "not_found",
          f"a method the API does not have is API Gateway's 404 not_found: {missing.status_code}")
    return event_id


def ticket_secrets(event_id: str, registration_id: str) -> tuple[str, str]:
    """The attendee's two secrets as the email carries them, made with the stage's keys read from SSM:
    the QR's ticket secret (the door only) and the manage secret (the ticket page, SPEC §16)."""
    import boto3

    from chalicelib.tickets.keys import load_keyring_from_ssm
    from chalicelib.tickets.secrets import TicketSigner
    from infra.stages import load_stage

    keyring = load_keyring_from_ssm(load_stage("dev").signing_key_name, boto3.client("ssm"))
    signer = TicketSigner(keyring)
    return signer.issue(event_id, registration_id, 0), signer.manage(registration_id, 0)


def decoder_url(scan_page: str, base: str) -> str:
    import re

    found = re.search(r'"(/dev/static/vendor/zxing-wasm/zxing_reader\.wasm[^"]*)"', scan_page)
    root = base[: -len("/dev")]
    if found:
        return root + found.group(1)
    from chalicelib.pages import static

    return f"{base}{static.url('vendor/zxing-wasm/zxing_reader.wasm')}"


def rate_limited_update(build: Path, log: Log, endpoint: str, event_id: str) -> Gateway:
    """An update that changes the function (its rate limit), and the next instance obeys it."""
    import requests

    sam_path = build / "dev" / "sam.json"
    original = sam_path.read_text(encoding="utf-8")
    sam = json.loads(original)
    sam["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]["KAPI_RATE_LIMIT"] = "1"
    sam_path.write_text(json.dumps(sam), encoding="utf-8")
    try:
        code, out = run_deploy("--stage", "dev", "--build", str(build / "dev"))
    finally:
        sam_path.write_text(original, encoding="utf-8")
    check(code == 0 and "stack kapi-dev updated" in out, "the changed function updates the stack")
    gateway = Gateway("kapi-dev", "/dev", endpoint)
    check(gateway.function.config.environment.get("KAPI_RATE_LIMIT") == "1", "the deployed template has the change")
    answers = [requests.post(f"{gateway.url}/api/events/{event_id}/registrations", timeout=30, json={
        "name": f"Kişi {n}", "email": f"kisi{n}@example.org", "language": "tr", "answers": {}, "consent": True,
    }).status_code for n in range(3)]
    check(429 in answers, f"the new instance limits registrations to 1 a minute: {answers}")
    log.step(f"ok  update: KAPI_RATE_LIMIT 30 → 1 deployed; a new instance answers {answers}")
    return gateway


def rehearse(build: Path) -> None:
    import boto3

    from chalicelib.storage.models import ALL_MODELS
    from devstack import aws_standin
    from infra.stages import load_stage

    log = Log(time.monotonic())
    server, endpoint = aws_standin.start()
    aws_environment(endpoint)
    gateway: Gateway | None = None
    try:
        log.step(f"AWS stand-in (moto + SAM transform) at {endpoint}")
        code, out = run_deploy("--stage", "dev", "--build", str(build / "dev"))
        check(code == 0 and "stack kapi-dev created" in out, "make deploy STAGE=dev creates the stack")
        token = admin_token(out)
        log.step("ok  deploy dev: stack created, admin token printed")

        gateway = Gateway("kapi-dev", "/dev", endpoint)
        log.step(f"ok  packaged api_handler ({gateway.function.config.handler}, {gateway.function.config.runtime}) "
                 f"started read-only behind the gateway at {gateway.url}")
        event_id = journey(gateway, token, log)

        gateway.close()
        gateway = None
        gateway = rate_limited_update(build, log, endpoint, event_id)

        code, out = run_deploy("--stage", "dev", "--build", str(build / "dev"))
        check(code == 0 and "stack kapi-dev updated" in out, "the original function deploys again")
        code, out = run_deploy("--stage", "dev", "--build", str(build / "dev"))
        check(code == 0 and "no change: stack kapi-dev is up to date" in out, "a rerun without change says so")
        log.step("ok  rerun without change: no change, no change set left")

        prod = load_stage("prod")
        logs = boto3.client("logs")
        logs.create_log_group(logGroupName="/aws/lambda/kapi-prod-api_handler")  # made by hand: in the stack's way
        code, out = run_deploy("--stage", "prod", "--build", str(build / "prod"))
        check(code == 1 and "ROLLBACK_COMPLETE after a failed create" in out, "prod's failed first deploy says why")
        check(not [t for t in boto3.client("dynamodb").list_tables()["TableNames"] if t.startswith("kapi-prod-")],
              "the failed create rolled back: no prod table left")
        log.step("ok  prod's first deploy failed (a log group in the way) and rolled back")
        logs.delete_log_group(logGroupName="/aws/lambda/kapi-prod-api_handler")
        code, out = run_deploy("--stage", "prod", "--build", str(build / "prod"))
        check(code == 0 and "deleting it to create it again" in out and "stack kapi-prod created" in out,
              "the rerun deletes the rolled-back stack and creates it")
        from chalicelib.access import auth
        from chalicelib.storage.tables import Tables

        check(auth.authenticate(Tables(prod.table_prefix, REGION), f"Bearer {admin_token(out)}").role == "admin",
              "prod's admin token signs in to prod's tables")
        log.step("ok  rerun recovered: prod created, its admin token signs in")

        gateway.close()
        gateway = None
        code, out = run_deploy("--stage", "dev", "--destroy")
        check(code == 0 and "stack kapi-dev deleted" in out, "make destroy STAGE=dev")
        tables = boto3.client("dynamodb").list_tables()["TableNames"]
        check(not [t for t in tables if t.startswith("kapi-dev-")], f"dev's tables are gone: {tables}")
        code, out = run_deploy("--stage", "prod", "--destroy")
        check(code == 0 and "tables kept" in out, "make destroy STAGE=prod")
        kept = [t for t in boto3.client("dynamodb").list_tables()["TableNames"] if t.startswith("kapi-prod-")]
        check(len(kept) == len(ALL_MODELS), f"prod's tables are kept: {kept}")
        log.step(f"ok  destroy: dev's stack and tables gone; prod's stack gone, its {len(kept)} tables kept")
    finally:
        if gateway is not None:
            gateway.close()
        server.stop()
    log.step("rehearsal passed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.rehearse", description=__doc__.split("\n")[0])
    parser.add_argument("--build", type=Path, required=True, help="holds dev/ and prod/ from make package")
    args = parser.parse_args(argv)
    try:
        rehearse(args.build)
    except RehearsalFailed as failure:
        print(f"\nREHEARSAL FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
