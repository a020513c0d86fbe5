"""Start the local DynamoDB server (devstack.dynamo_server) as a child process.

Used by tests/conftest.py and by the local-run launcher. A separate process rather
than a thread, so the server does not share the GIL with its client and a test can
``kill()`` it to prove durability.

    with DynamoProcess(data_dir) as dynamo:
        boto3.client("dynamodb", endpoint_url=dynamo.endpoint, ...)
"""

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from typing import Any

from devstack import loopback

READY_TIMEOUT_SECONDS = 60


class ServerDidNotStart(RuntimeError):
    """The server exited before it was ready; it logged why on stderr (a data directory in use, a
    corrupt journal)."""


class DynamoProcess:
    """One server on 127.0.0.1 keeping its data in ``data_dir``; ``port=0`` picks a free port.

    Extra command-line options (e.g. ``["--ttl-sweep-seconds", "1"]``) go in ``args``; ``faults``
    (e.g. ``"conflicts=0.1,index_lag_ms=200"``) starts it in fault mode, and ``set_faults`` changes
    that while it runs. Without ``faults`` the server reads KAPI_DYNAMO_FAULTS, like any child.
    """

    def __init__(self, data_dir: str, port: int = 0, args: list[str] | None = None,
                 faults: str | None = None) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.port = port
        self.args = list(args or []) + (["--faults", faults] if faults is not None else [])
        self.endpoint: str | None = None
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> "DynamoProcess":
        """Spawn the server and wait until it prints its READY line."""
        loopback.bypass_proxy()  # this process and whatever it starts talk to the server on 127.0.0.1
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        # stdin: a pipe only this process holds, so the server also stops if this process is killed
        # with SIGKILL and cannot stop it (devstack/lifeline.py).
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack.dynamo_server", "--port", str(self.port),
             "--data-dir", self.data_dir, "--stop-with-parent", *self.args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        line = self._read_ready_line()
        if not line.startswith("READY "):
            code = self.process.wait()
            raise ServerDidNotStart(f"dynamo_server exited with {code} before it was ready")
        self.endpoint = line.split()[1]
        return self

    def _read_ready_line(self) -> str:
        # A server that never gets ready is killed, so that readline() returns "".
        timer = threading.Timer(READY_TIMEOUT_SECONDS, self.process.kill)
        timer.start()
        try:
            return self.process.stdout.readline()
        finally:
            timer.cancel()
            self.process.stdout.close()  # the server prints nothing after READY

    def faults(self) -> dict[str, Any]:
        """``{"config": {...}, "injected": {"throttling": n, ...}}``: what the server injected so far."""
        with urllib.request.urlopen(self.endpoint + "/_kapi/faults", timeout=30) as response:
            return json.load(response)

    def set_faults(self, **config: Any) -> dict[str, Any]:
        """Replace the fault configuration (unnamed settings go back to off); answers like ``faults()``."""
        request = urllib.request.Request(self.endpoint + "/_kapi/faults", method="PUT",
                                         data=json.dumps(config).encode())
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing gets the chance to flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process.stdin.close()
        self.endpoint = None

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM and wait: the server compacts its data on the way out."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout)
        self.process.stdin.close()
        self.endpoint = None

    def __enter__(self) -> "DynamoProcess":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
