"""The local run (`python -m devstack.run`) as a test fixture: a real server over real HTTP.

`LocalRun` starts the launcher as its own process group so a test can kill -9 the whole local run
(app and, when it owns one, its DynamoDB server) the way a crash would.
"""
from __future__ import annotations

import http.cookiejar
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from devstack import loopback
from devstack.dynamo_faults import FaultConfig

ROOT = Path(__file__).resolve().parent.parent


#: The local DynamoDB server's fault mode for this run (KAPI_DYNAMO_FAULTS, devstack/dynamo_faults.py).
FAULTS = FaultConfig.parse(os.environ.get("KAPI_DYNAMO_FAULTS", ""))
#: How often a client comes back after a 503 with Retry-After before it gives up.
CLIENT_RETRIES = 4


def index_settled() -> None:
    """Wait until a secondary index shows every write made so far.

    DynamoDB's indexes are eventually consistent, and in fault mode the local server's lag behind
    the table (`index_lag_ms`). A test that reads an index itself to check what a request wrote
    waits first, as any reader that needs the latest state must; without index lag this is free.
    """
    time.sleep(FAULTS.index_lag_ms / 1000)


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie, request) -> bool:
        return False


class Api:
    """A small HTTP client: `api.post("/api/events", json=..., token=...)` returns a requests.Response.

    In fault mode it behaves like the API's real clients (the registration page, the door scanner):
    a 503 with Retry-After means "the store is busy, come back", so it comes back, up to
    CLIENT_RETRIES times. Any other 5xx fails the test on the spot: the store's failures must end
    in a retry or a 503 with Retry-After, never in a 500.
    """

    def __init__(self, base_url: str, admin_token: str) -> None:
        self.base_url = base_url
        self.admin_token = admin_token
        self.session = requests.Session()
        self.session.cookies.set_policy(_NoCookies())  # an API client: a page's cookie must not follow it

    def request(self, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        comebacks = 0
        while True:
            response = self.session.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)
            if FAULTS == FaultConfig():
                return response
            unavailable = response.status_code == 503 and "Retry-After" in response.headers
            assert response.status_code < 500 or unavailable, (
                f"{method} {path} answered {response.status_code} under store faults: {response.text[:300]}")
            if not unavailable or comebacks == CLIENT_RETRIES:
                return response
            comebacks += 1
            time.sleep(float(response.headers["Retry-After"]) * random.uniform(0.5, 1.5))

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


class LocalRun:
    def __init__(self, data_dir: Path, env: dict[str, str], launcher: tuple[str, ...] = ("devstack.run",)) -> None:
        """`launcher`: the module (and its arguments) run with `python -m`; another one than
        devstack.run must hand over to `devstack.run.main` (bench/scan_steps.py does, with timers)."""
        self.data_dir = data_dir
        self.env = env
        self.launcher = launcher
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.dynamodb_endpoint = ""
        self.lines: list[str] = []  # everything it printed, stdout and stderr, for tests on its logs

    def secrets(self, db, registration_id: str) -> tuple[str, str]:
        """The registration's current ticket secret (its QR code) and manage secret (its page links),
        signed with this run's keys as its server signs them."""
        from chalicelib.tickets.keys import load_keyring_from_dir
        from chalicelib.tickets.secrets import TicketSigner

        registration = db.Registration.get(registration_id, consistent_read=True)
        signer = TicketSigner(load_keyring_from_dir(self.data_dir))
        revision = int(registration.revision)
        return signer.issue(registration.event_id, registration_id, revision), signer.manage(registration_id, revision)

    def start(self) -> "LocalRun":
        loopback.bypass_proxy()  # this process's requests to the run
        env = {**os.environ, "KAPI_DATA_DIR": str(self.data_dir), "KAPI_PORT": "0", "KAPI_DEMO": "0",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), **self.env}
        # A session of its own, so Ctrl-C of a test cannot stop it halfway; stdin held by this process,
        # so it stops when this process is gone however that happened (a kill -9, a CI timeout).
        self.process = subprocess.Popen([sys.executable, "-m", *self.launcher, "--stop-with-parent"], cwd=ROOT,
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, start_new_session=True)
        self._keep(self.process.stderr, echo_fd=2)  # still shown (captured) by pytest
        timer = threading.Timer(90, self.kill)
        timer.start()
        try:
            for line in self.process.stdout:
                self.lines.append(line)
                if line.strip().startswith("DynamoDB:"):
                    self.dynamodb_endpoint = line.split()[-1]
                if line.startswith("READY "):
                    self.url = line.split()[1]
                    break
        finally:
            timer.cancel()
        if not self.url:
            raise RuntimeError(f"the local run exited with {self.process.wait()} before it was ready")
        self._keep(self.process.stdout)
        return self

    def output(self) -> str:
        return "".join(self.lines)

    def _keep(self, stream, echo_fd: int | None = None) -> None:
        """Drain `stream` (a full pipe would block the run) into `lines`, optionally echoing it to a
        file descriptor (not a file object, which pytest swaps and closes between tests)."""
        def drain():
            for line in stream:
                self.lines.append(line)
                if echo_fd is not None:
                    os.write(echo_fd, line.encode())
        threading.Thread(target=drain, daemon=True).start()

    def kill(self) -> None:
        """SIGKILL to the whole process group: nothing gets to flush or shut down cleanly."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
