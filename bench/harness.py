"""What the benchmarks share: a fresh local run to measure, percentiles, and timing DynamoDB calls."""
from __future__ import annotations

import os
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

NAMES = ["Şengül Əliyeva", "İlkin Işık", "Gülşən Məmmədova", "Çağrı Öztürk", "Rəşad Həsənov"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@contextmanager
def local_stack(launcher: tuple[str, ...] = ("devstack.run",)) -> Iterator:
    """A fresh local run (own tables, data dir and admin token) and this process pointed at the same
    DynamoDB endpoint, table prefix and signing keys; yields an `Api` for it. `launcher`: see LocalRun."""
    os.environ["KAPI_TABLE_PREFIX"] = f"kapi-bench-{uuid.uuid4().hex[:6]}-"
    from tests.stack import Api, LocalRun

    data_dir = Path(tempfile.mkdtemp(prefix="kapi-bench-"))
    run = LocalRun(data_dir, {"KAPI_RATE_LIMIT": "0", "AWS_ENDPOINT_URL_DYNAMODB": "",
                              "KAPI_ADMIN_TOKEN": "bench-admin"}, launcher).start()
    try:
        os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": run.dynamodb_endpoint,
                           "AWS_DEFAULT_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "local",
                           "AWS_SECRET_ACCESS_KEY": "local", "KAPI_DATA_DIR": str(data_dir)})
        yield Api(run.url, "bench-admin")
    finally:
        run.stop()


@contextmanager
def store_timer() -> Iterator[dict]:
    """Time spent inside DynamoDB API calls while the block runs, and how many there were."""
    import botocore.client

    spent = {"seconds": 0.0, "calls": 0}
    original = botocore.client.BaseClient._make_api_call

    def timed(client, operation, params):
        started = time.perf_counter()
        try:
            return original(client, operation, params)
        finally:
            spent["seconds"] += time.perf_counter() - started
            spent["calls"] += 1
    botocore.client.BaseClient._make_api_call = timed
    try:
        yield spent
    finally:
        botocore.client.BaseClient._make_api_call = original
