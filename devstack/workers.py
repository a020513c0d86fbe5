"""Background work that AWS runs from event sources and schedules, run here in a process of its own.

A child of the local run (`running()`), not threads of it: the email worker composes QR codes and
MIME, CPU work that would otherwise share the API's GIL and slow both (in AWS they are separate Lambda
functions, each with its own CPU). The child lives as long as its parent: it stops when the parent
closes its stdin, which happens however the parent ends (clean exit, Ctrl-C, kill -9: devstack/lifeline.py),
and on SIGTERM or SIGINT (`kill` of the process group, Ctrl-C in a terminal).

Email goes out from KAPI_MAIL_WORKERS such processes (default 2), as the outbox stream's handler
runs as several Lambda invocations at once in AWS: one process's GIL caps composing at one core, and
the pipeline's leases and shared pacer are built for consumers that race (chalicelib/mail/pipeline.py).
The first process also runs the waitlist and retention workers; the others deliver email only.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from typing import Callable, Iterator

from devstack import lifeline

#: How long the parent waits for the child to finish its current rounds before killing it.
STOP_SECONDS = 10


def deliver_emails() -> bool:
    """What the outbox stream handler and the retry schedule do in AWS; True while work was found,
    so a burst of registrations is delivered round after round without waiting between them."""
    from chalicelib.process import pipeline

    return pipeline().run_due() > 0


def settle_waitlists() -> bool:
    """What the outbox stream and the minute schedule do in AWS for owed waitlist promotions."""
    from chalicelib.process import tables
    from chalicelib.registration import waitlist

    waitlist.settle_due(tables())
    return False


def erase_expired_personal_data() -> bool:
    """What the hourly retention schedule does in AWS (chalicelib/routes/tasks.py)."""
    from chalicelib.organiser import retention
    from chalicelib.process import tables

    retention.erase_due(tables())
    return False


# (name, seconds to wait after a round that found nothing, function returning whether it found work)
WORKERS: list[tuple[str, float, Callable[[], bool]]] = [
    ("mail", 0.2, deliver_emails),
    ("waitlist", 1.0, settle_waitlists),
    ("retention", 60.0, erase_expired_personal_data),
]


@contextlib.contextmanager
def running() -> Iterator[list[subprocess.Popen]]:
    """The worker processes, with this process's environment (set up by devstack.run)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    extra_mail = max(0, int(os.environ.get("KAPI_MAIL_WORKERS", "2")) - 1)
    children = [subprocess.Popen([sys.executable, "-m", "devstack.workers", *names], stdin=subprocess.PIPE, env=env)
                for names in [[]] + [["mail"]] * extra_mail]
    try:
        yield children
    finally:
        for child in children:
            child.stdin.close()  # the child's signal to stop
        for child in children:
            try:
                child.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def main(names: list[str]) -> None:
    """Run the named workers (all of them when none is named) until stopped."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    from chalicelib.http.web import configure_logging

    configure_logging()  # a worker's failures are logged as the API's lines are: JSON on stdout
    threads = [threading.Thread(target=_loop, args=(stop, every, work), name=name, daemon=True)
               for name, every, work in WORKERS if not names or name in names]
    for thread in threads:
        thread.start()
    lifeline.watch_parent(stop.set)
    while not stop.wait(1.0):
        pass
    for thread in threads:
        thread.join(timeout=5)


def _loop(stop: threading.Event, idle: float, work: Callable[[], bool]) -> None:
    while not stop.wait(idle):
        busy = True
        while busy and not stop.is_set():
            try:
                busy = work()
            except Exception:  # noqa: BLE001 - a worker must survive one bad round and try again
                if not stop.is_set():  # not when stopping: the local DynamoDB server may be gone first
                    import logging

                    logging.getLogger("kapi").exception("worker round failed")
                busy = False


if __name__ == "__main__":
    main(sys.argv[1:])
