"""The local run as a user meets it: durable across kill -9, rate-limited, with an admin token."""
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from operator import not_

import boto3
import psutil
import pytest

from chalicelib.http import client_address
from chalicelib.tickets.keys import load_keyring_from_dir
from tests import dates
from tests.data import registration_body
from tests.dates import faketime_env
from tests.stack import ROOT, Api, LocalRun
from tests.waiting import poll

EVENT = {"id": "restart-check", "name": {"tr": "Podcast kaydı"}, "venue": "İzmir",
         "starts_at": dates.day_at(30, "10:00"), "ends_at": dates.day_at(30, "12:00"),
         "timezone": "Europe/Istanbul", "status": "published", "capacity": 1000}


@pytest.fixture
def own_run(tmp_path):
    """A local run with its own DynamoDB server and data dir, as `make run` starts it."""
    runs = []

    def start(**env):
        environment = {"AWS_ENDPOINT_URL_DYNAMODB": "", "KAPI_TABLE_PREFIX": "kapi-local-", **env}
        run = LocalRun(tmp_path, environment).start()
        runs.append(run)
        return run
    yield start
    for run in runs:
        run.stop()


def test_registrations_acknowledged_before_kill_9_survive_a_restart(own_run, tmp_path):
    run = own_run(KAPI_RATE_LIMIT="0", KAPI_ADMIN_TOKEN="")
    admin = (tmp_path / "admin-token").read_text().strip()  # generated on first start
    api = Api(run.url, admin)
    assert api.post("/api/events", json=EVENT, token=admin).status_code == 201

    def register(i):
        response = Api(run.url, admin).post("/api/events/restart-check/registrations",
                                            json=registration_body(name=f"Gülşən {i}"))
        return response.json()["id"] if response.status_code == 201 else None
    with ThreadPoolExecutor(8) as pool:
        acknowledged = [rid for rid in pool.map(register, range(120)) if rid]
    assert len(acknowledged) == 120
    run.kill()

    restarted = Api(own_run(KAPI_RATE_LIMIT="0", KAPI_ADMIN_TOKEN="").url, admin)
    for rid in acknowledged:
        response = restarted.get(f"/api/events/restart-check/registrations/{rid}", token=admin)
        assert response.status_code == 200 and response.json()["status"] == "confirmed"
    event = restarted.get("/api/events/restart-check", token=admin).json()
    assert event["registrations"]["confirmed"] == 120


def test_rate_limit_per_client_address_keyed_with_a_secret_of_the_deployment(own_run, tmp_path):
    run = own_run(KAPI_RATE_LIMIT="3")
    admin = os.environ["KAPI_ADMIN_TOKEN"]
    api = Api(run.url, admin)
    api.post("/api/events", json={**EVENT, "id": "rate-check"}, token=admin)
    if time.time() % 60 > 50:  # the limit counts per clock minute: start the five requests in a fresh one
        time.sleep(61 - time.time() % 60)
    codes = [api.post("/api/events/rate-check/registrations", json=registration_body()).status_code
             for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    limited = api.post("/api/events/rate-check/registrations", json=registration_body())
    window_ends_in = 60 - time.time() % 60
    assert limited.json()["error"] == "rate_limited"
    retry_after = int(limited.headers["Retry-After"])  # SPEC §16: seconds until the window turns
    assert retry_after == limited.json()["retry_after"] and abs(retry_after - window_ends_in) <= 2
    [window] = rate_windows(run.dynamodb_endpoint)
    assert window["count"]["N"] == "3"
    name = window["pk"]["S"].split("#")[1]
    unsalted = hashlib.sha256(b"kapi-rate:127.0.0.1").hexdigest()[:20]  # reversible over all of IPv4
    assert name != unsalted
    assert name == client_address.key("127.0.0.1", client_address.secret_of(load_keyring_from_dir(tmp_path)))


def test_refused_registrations_count_toward_the_rate_limit(own_run):
    """No oracle, no amplifier (SPEC §16): 40 probes of a full event (registered and unknown addresses
    alike) reach the 429 of a limit of 30, with Retry-After, as 40 registrations would."""
    run = own_run(KAPI_RATE_LIMIT="30")
    admin = os.environ["KAPI_ADMIN_TOKEN"]
    api = Api(run.url, admin)
    assert api.post("/api/events", json={**EVENT, "id": "probe-check", "capacity": 1}, token=admin).status_code == 201
    if time.time() % 60 > 40:  # the limit counts per clock minute: probe in a fresh one
        time.sleep(61 - time.time() % 60)
    taken = registration_body()
    answers = [api.post("/api/events/probe-check/registrations", json=taken)]
    for i in range(40):
        body = {**taken, "name": f"Yoklama {i}"} if i % 2 else registration_body()
        answers.append(api.post("/api/events/probe-check/registrations", json=body))
    codes = [(answer.status_code, (answer.json() or {}).get("error")) for answer in answers]
    assert codes == [(201, None)] + [(409, "sold_out")] * 29 + [(429, "rate_limited")] * 11
    assert int(answers[-1].headers["Retry-After"]) == answers[-1].json()["retry_after"] >= 1
    [window] = rate_windows(run.dynamodb_endpoint)
    assert window["count"]["N"] == "30"
    unknown_event = api.post("/api/events/no-such-event/registrations", json=registration_body())
    assert unknown_event.status_code == 429  # the spent window covers every refusal, not only this event's


def rate_windows(endpoint):
    """The rate-limit windows the run wrote (read here with a Scan: its tables hold nothing else)."""
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    items = client.scan(TableName="kapi-local-claims", ConsistentRead=True)["Items"]
    return [item for item in items if item["pk"]["S"].startswith("rate#")]



def test_the_demo_event_stays_ahead_of_the_calendar(own_run):
    """A data dir kept from an earlier run: two months later the demo event is still open."""
    admin = os.environ["KAPI_ADMIN_TOKEN"]
    first = own_run(KAPI_DEMO="1", **faketime_env(days_ahead=0))
    created = Api(first.url, admin).get("/api/events/izmir-baku-festival").json()
    assert created["registration_open"] is True
    first.stop()
    later = Api(own_run(KAPI_DEMO="1", **faketime_env(days_ahead=60)).url, admin)
    demo = later.get("/api/events/izmir-baku-festival").json()
    assert demo["registration_open"] is True and demo["starts_at"] > created["ends_at"]
    assert later.post("/api/events/izmir-baku-festival/registrations",
                      json=registration_body(ticket_type="general")).status_code == 201


def test_a_launcher_killed_alone_leaves_nothing_running(own_run, tmp_path):
    """kill -9 of `make run`'s own process (an OOM kill, a closed terminal's hard kill): its DynamoDB
    server and workers stop too, the server compacting what was acknowledged, and the next start on
    the same data directory finds it free and the data there."""
    run = own_run(KAPI_RATE_LIMIT="0")
    admin = os.environ["KAPI_ADMIN_TOKEN"]
    assert Api(run.url, admin).post("/api/events", json={**EVENT, "id": "orphan-check"}, token=admin).status_code == 201
    children = psutil.Process(run.process.pid).children(recursive=True)
    assert len(children) >= 2  # the DynamoDB server and the worker processes
    run.process.kill()  # the launcher alone, not its process group
    run.process.wait()
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], [" ".join(process.cmdline()) for process in alive]

    restarted = Api(own_run(KAPI_RATE_LIMIT="0").url, admin)
    assert restarted.get("/api/events/orphan-check", token=admin).json()["venue"] == "İzmir"


def test_a_proxy_in_the_environment_does_not_catch_the_local_traffic(own_run, monkeypatch):
    """Behind a company's proxy HTTP_PROXY is often set without a NO_PROXY entry for loopback: the
    app's calls to its DynamoDB server and a client's requests to the app must still go straight
    there (`make run` used to stop at its first call, "Failed to connect to proxy URL")."""
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # the discard port: no proxy answers there
    run = own_run(KAPI_RATE_LIMIT="0")
    admin = os.environ["KAPI_ADMIN_TOKEN"]
    api = Api(run.url, admin)
    assert api.post("/api/events", json={**EVENT, "id": "behind-a-proxy"}, token=admin).status_code == 201
    registered = api.post("/api/events/behind-a-proxy/registrations", json=registration_body())
    assert registered.status_code == 201, registered.text


def test_a_busy_port_is_named_with_the_way_out(tmp_path):
    """A second `make run` on a port in use says so in one line instead of a traceback, and leaves
    nothing running (its DynamoDB server had started already)."""
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        printed = refused_start(LocalRun(tmp_path, {"AWS_ENDPOINT_URL_DYNAMODB": "", "KAPI_PORT": str(port)}))
    assert f"Port {port} is already in use" in printed and f"KAPI_PORT={port + 1} make run" in printed
    still_running = poll(lambda: [process for process in psutil.process_iter(["cmdline"])
                                  if str(tmp_path) in " ".join(process.info["cmdline"] or [])], not_, timeout=30)
    assert still_running == []  # the DynamoDB server it had started stopped with it


def test_a_data_directory_in_use_is_named_with_the_way_out(own_run, tmp_path):
    """A second `make run` on the data directory of a running one: the DynamoDB server's reason and
    the way out, not a traceback."""
    own_run()
    printed = refused_start(LocalRun(tmp_path, {"AWS_ENDPOINT_URL_DYNAMODB": ""}))
    assert "is used by another server" in printed and "KAPI_DATA_DIR=.kapi-2" in printed


def refused_start(run: LocalRun) -> str:
    """What a run that must refuse to start printed; it exits 1, with no traceback."""
    with pytest.raises(RuntimeError, match="exited with 1"):
        run.start()
    printed = poll(run.output, lambda text: "make run" in text, timeout=10)  # stderr drains in a thread
    assert "Traceback" not in printed, printed
    return printed


HARNESS = """
import sys, time
from pathlib import Path
from tests.stack import LocalRun
run = LocalRun(Path(sys.argv[1]), {"AWS_ENDPOINT_URL_DYNAMODB": "", "KAPI_TABLE_PREFIX": "kapi-local-"}).start()
print(run.process.pid, flush=True)
time.sleep(600)
"""


def test_a_run_started_by_a_program_stops_when_the_program_is_killed(tmp_path):
    """The tests and `make bench` start their runs in a session of their own, out of reach of the
    terminal's signals: a kill -9 of such a program (or a CI timeout) must not leave its run
    serving, holding a port, a data directory and CPU, as it did before."""
    harness = subprocess.Popen([sys.executable, "-c", HARNESS, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        launcher = psutil.Process(int(harness.stdout.readline()))
        processes = [launcher, *launcher.children(recursive=True)]
        assert len(processes) >= 3  # the launcher, its DynamoDB server and the worker processes
    finally:
        harness.kill()
        harness.wait()
    gone, alive = psutil.wait_procs(processes, timeout=30)
    assert alive == [], [" ".join(process.cmdline()) for process in alive]


def test_ctrl_c_stops_a_run_started_in_the_background(own_run):
    """A run started with `make run &` from a script gets SIGINT ignored; Ctrl-C (SIGINT to the
    process group) must still stop the launcher, not only its children under it."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the run, as a script's `&` does
    try:
        run = own_run(KAPI_RATE_LIMIT="0")
    finally:
        signal.signal(signal.SIGINT, previous)
    processes = [psutil.Process(run.process.pid), *psutil.Process(run.process.pid).children(recursive=True)]
    os.killpg(run.process.pid, signal.SIGINT)
    gone, alive = psutil.wait_procs(processes, timeout=30)
    assert alive == [], [" ".join(process.cmdline()) for process in alive]
