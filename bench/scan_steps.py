"""Where a door scan's time goes, step by step, timed inside the app process (README "Performance").

`.venv/bin/python -m bench.scan_steps` starts a local run whose app process is this module (`--app`):
`make run`'s own server with timers around the steps of a scan, written to a file when it stops. It
then runs `bench.checkin`'s ratio measurement (sequential scans over HTTP alternating with the same
raw TransactWriteItems) and prints, as a table and as one line of JSON, the p50 of each step of the
scans next to what the client saw and the raw call. The timers cost a few microseconds a step.
"""
from __future__ import annotations

import atexit
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

TIMINGS_ENV = "KAPI_SCAN_STEP_TIMINGS"
#: (key, what it is, how it follows from one scan's timers), in the order a scan runs.
STEPS: list[tuple[str, str, Callable[[dict[str, float]], float]]] = [
    ("http_server", "Chalice's local HTTP server: the request read, the answer written",
     lambda t: t["handler"] - t["gateway"]),
    ("gateway_and_view", "Chalice's gateway and dispatch, Kapı's view up to the scan (token, door, body)",
     lambda t: t["gateway"] - t["verify"] - t["read"] - t["admit"]),
    ("signature", "the Ed25519 signature checked", lambda t: t["verify"]),
    ("get_item_code", "GetItem: pynamodb and botocore", lambda t: t["read"] - t["wire:GetItem"]),
    ("get_item_wire", "GetItem: the wire (the local server's work included)", lambda t: t["wire:GetItem"]),
    ("decision", "the decision and the transaction's parts built", lambda t: t["admit"] - t["commit"]),
    ("transaction_code", "TransactWriteItems: pynamodb and botocore",
     lambda t: t["commit"] - t["wire:TransactWriteItems"]),
    ("transaction_wire", "TransactWriteItems: the wire", lambda t: t["wire:TransactWriteItems"]),
]


def main() -> None:
    from bench import checkin
    from bench.harness import local_stack

    timings = Path(tempfile.mkdtemp(prefix="kapi-steps-")) / "steps.json"
    os.environ[TIMINGS_ENV] = str(timings)
    with local_stack(launcher=("bench.scan_steps", "--app")) as api:
        ratio = checkin.scan_over_raw(api)
    scans = json.loads(timings.read_text())
    steps = {key: round(statistics.median(derive(t) for t in scans) * 1000, 2) for key, _, derive in STEPS}
    handler = statistics.median(t["handler"] for t in scans) * 1000
    result = {"scans": len(scans), "client_p50_ms": ratio["sequential_scan_p50_ms"],
              "client_and_hop_ms": round(ratio["sequential_scan_p50_ms"] - handler, 2), "steps_ms": steps,
              "raw_transaction_p50_ms": ratio["raw_transaction_p50_ms"],
              "scan_over_raw_transaction": ratio["scan_over_raw_transaction"]}
    print(table(result))
    print(json.dumps(result, ensure_ascii=False))


def table(result: dict) -> str:
    rows = [f"| what a scan's time goes to (p50 over {result['scans']} sequential scans) | ms |", "|---|---|",
            f"| what the client sees | {result['client_p50_ms']} |",
            f"| the client's `requests` and the loopback hop | {result['client_and_hop_ms']} |"]
    rows += [f"| {what} | {result['steps_ms'][key]} |" for key, what, _ in STEPS]
    rows.append(f"| the same TransactWriteItems sent raw with boto3 | {result['raw_transaction_p50_ms']} |")
    return "\n".join(rows)


# --- The app process -----------------------------------------------------------------------------

def serve_with_timers(argv: list[str]) -> None:
    """`make run`'s server (devstack.run) with timers around a scan's steps; each scan's timers are
    written to KAPI_SCAN_STEP_TIMINGS as the process exits."""
    import botocore.endpoint
    import chalice.local

    import devstack.app_server
    from chalicelib.checkin import scan
    from chalicelib.storage import transaction
    from devstack import run

    current = threading.local()
    scans: list[dict[str, float]] = []

    def timed(name: str | Callable[..., str], function: Callable) -> Callable:
        """`function`, adding its time to the current scan's `name` (or to the name `name(*args)` gives)."""
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                steps = getattr(current, "steps", None)
                if steps is not None:
                    label = name(*args) if callable(name) else name
                    steps[label] = steps.get(label, 0.0) + time.perf_counter() - started
        return wrapper

    def operation(endpoint: Any, request: Any) -> str:
        target = request.headers.get("X-Amz-Target", "")
        return "wire:" + (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]

    handle = devstack.app_server.KapiRequestHandler.do_POST

    def do_post(self: Any) -> None:
        current.steps = {}
        timed("handler", handle)(self)
        if self.path.endswith("/scans") and "commit" in current.steps:  # a successful single scan
            scans.append(current.steps)
        current.steps = None

    scan.verify = timed("verify", scan.verify)
    scan._registration = timed("read", scan._registration)
    scan._admit = timed("admit", scan._admit)
    transaction.Transaction.commit = timed("commit", transaction.Transaction.commit)
    botocore.endpoint.Endpoint._send = timed(operation, botocore.endpoint.Endpoint._send)
    chalice.local.LocalGateway.handle_request = timed("gateway", chalice.local.LocalGateway.handle_request)
    devstack.app_server.KapiRequestHandler.do_POST = do_post
    atexit.register(lambda: Path(os.environ[TIMINGS_ENV]).write_text(json.dumps(scans)))
    run.main(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--app"]:
        serve_with_timers(sys.argv[2:])
    else:
        main()
