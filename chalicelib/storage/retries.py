"""Which DynamoDB errors mean "try again", and trying again.

botocore's standard retry mode (pynamodb's default: 4 attempts, exponential backoff with full
jitter) already retries throttling (ProvisionedThroughputExceededException, ThrottlingException,
RequestLimitExceeded) and every 5xx before an error reaches this code; that is not redone here.
What botocore cannot know is left to `with_retries`:

* a TransactWriteItems cancelled only because of `TransactionConflict` (another transaction held
  one of its items), `ThrottlingError` or `ProvisionedThroughputExceeded` on an item: DynamoDB
  answers a plain 400 `TransactionCanceledException`, which botocore does not retry;
* `TransactionConflictException`: a single-item write met a transaction in flight on its item.

Whatever is still retryable after that is the store being busy or down, not a bug: the HTTP edge
answers it 503 with Retry-After (SPEC §11), never 500 (`unavailable_when_busy`).
"""
from __future__ import annotations

import random
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib.common.config import settings
from chalicelib.common.errors import ServiceUnavailable

T = TypeVar("T")

ATTEMPTS = 6
RETRYABLE_CODES = frozenset({
    "TransactionConflictException", "TransactionInProgressException",
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "InternalFailure", "ServiceUnavailable", "RequestTimeout",
})
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


def is_retryable(error: BaseException) -> bool:
    """True when DynamoDB did not do the work and may well do it if asked again."""
    cause = error.cause if isinstance(error, PynamoDBException) and error.cause is not None else error
    if isinstance(cause, (ConnectionError, HTTPClientError)):  # refused, reset, timed out
        return True
    if not isinstance(cause, ClientError):
        return False
    if cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        return True
    code = cause.response.get("Error", {}).get("Code")
    if code == "TransactionCanceledException":
        codes = {reason.code for reason in getattr(cause, "cancellation_reasons", []) if reason}
        return bool(codes) and codes <= RETRYABLE_REASONS
    return code in RETRYABLE_CODES


def with_retries(call: Callable[[], T]) -> T:
    """``call()``, again after a jittered backoff while it fails retryably; then ServiceUnavailable."""
    attempt = 0
    while True:
        try:
            return call()
        except Exception as error:
            if not is_retryable(error):
                raise
            attempt += 1
            if attempt == ATTEMPTS:
                raise busy() from error
        # KAPI_RETRY_BASE_MS, 25 ms as botocore's base for DynamoDB's non-throttling retries, doubled each attempt
        time.sleep(random.uniform(0, settings().retry_base_seconds * 2 ** attempt))


def busy() -> ServiceUnavailable:
    return ServiceUnavailable()


@contextmanager
def unavailable_when_busy() -> Iterator[None]:
    """Within the block, an error the store may not repeat becomes ServiceUnavailable (503)."""
    try:
        yield
    except Exception as error:
        if not is_retryable(error):
            raise
        raise busy() from error
