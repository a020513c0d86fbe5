"""The local run's processes reach each other on loopback, never through an HTTP proxy.

On a machine with HTTP_PROXY set (common behind a company's proxy) and no NO_PROXY entry for
loopback, botocore sent the app's calls to the local DynamoDB server to that proxy, and `make run`
stopped at its first call ("Failed to connect to proxy URL"); the tests' requests to the app went
the same way. botocore, requests and urllib all read `no_proxy`/`NO_PROXY`, so naming loopback there
keeps every other destination (SES, a real DynamoDB endpoint) on the proxy.
"""
from __future__ import annotations

import os

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bypass_proxy() -> None:
    """Add the loopback names to this process's NO_PROXY (and so its children's), keeping the rest."""
    names = [name.strip() for name in (os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or "").split(",")
             if name.strip()]
    names += [name for name in LOOPBACK if name not in names]
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = ",".join(names)
