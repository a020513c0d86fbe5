"""Helpers for the organiser tests: many registrations at once, written through the domain layer."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import registrations
from tests.data import registration_body


def bulk_register(event_id: str, bodies: list[dict], workers: int = 16) -> list[dict]:
    """Register every body in-process (no HTTP), in parallel; returns the 201 answers in order."""
    def one(body: dict) -> dict:
        outcome = registrations.register(event_id, body, client_key="bulk", rate_limit=0)
        assert outcome.status == 201
        return outcome.body
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, bodies))


@pytest.fixture(scope="session")
def populate(tables):
    """`populate(event_id, n, **fields)`: n registrations with distinct emails."""
    def run(event_id: str, count: int, **fields) -> list[dict]:
        return bulk_register(event_id, [registration_body(**fields) for _ in range(count)])
    return run
