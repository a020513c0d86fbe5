"""Background work that AWS runs from event sources and schedules, run here as threads."""
from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator


def deliver_emails() -> bool:
    """What the outbox stream handler and the retry schedule do in AWS; True while work was found,
    so a burst of registrations is delivered round after round without waiting between them."""
    from chalicelib.mail.pipeline import default_pipeline

    return default_pipeline().run_due() > 0


def settle_waitlists() -> bool:
    """What the outbox stream and the minute schedule do in AWS for owed waitlist promotions."""
    from chalicelib import waitlist

    waitlist.settle_due()
    return False


def erase_expired_personal_data() -> bool:
    """What the hourly retention schedule does in AWS (app.erase_expired_personal_data)."""
    from chalicelib import retention

    retention.erase_due()
    return False


# (name, seconds to wait after a round that found nothing, function returning whether it found work)
WORKERS: list[tuple[str, float, Callable[[], bool]]] = [
    ("mail", 0.2, deliver_emails),
    ("waitlist", 1.0, settle_waitlists),
    ("retention", 60.0, erase_expired_personal_data),
]


@contextlib.contextmanager
def running() -> Iterator[None]:
    stop = threading.Event()
    threads = [threading.Thread(target=_loop, args=(stop, every, work), name=name, daemon=True)
               for name, every, work in WORKERS]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)


def _loop(stop: threading.Event, idle: float, work: Callable[[], bool]) -> None:
    while not stop.wait(idle):
        busy = True
        while busy and not stop.is_set():
            try:
                busy = work()
            except Exception:  # noqa: BLE001 - a worker must survive one bad round and try again
                import logging

                logging.getLogger("kapi").exception("worker round failed")
                busy = False
