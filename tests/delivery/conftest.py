import uuid

import pytest

from chalicelib.common.config import settings


@pytest.fixture(autouse=True)
def own_queue(monkeypatch):
    """Messages of this test only: in-process tests elsewhere leave thousands pending in the default
    outbox queue, and a pipeline drained here would compose every one of them."""
    monkeypatch.setenv("KAPI_OUTBOX_QUEUE", f"test-{uuid.uuid4().hex[:8]}")
    settings.cache_clear()
    yield
    settings.cache_clear()
