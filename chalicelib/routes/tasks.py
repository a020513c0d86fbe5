"""The Lambda functions that no HTTP request calls: the outbox stream's handler and the schedules.

Lambda imports this module alone for them (handler `chalicelib.routes.tasks.<name>`), not `app.py`:
a cold start of a worker loads no route."""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.http.web import configure_logging
from chalicelib.organiser import retention
from chalicelib.process import pipeline, tables
from chalicelib.registration import waitlist

tasks = Blueprint(__name__)
configure_logging()


@tasks.lambda_function(name="outbox_stream")
def outbox_stream(event: Any, context: Any) -> Any:
    """New outbox items from the table's stream, done at once; failures go back for retry."""
    waitlist.settle_stream_records(tables(), event.get("Records", []))
    return pipeline().deliver_stream_records(event.get("Records", []))


@tasks.schedule("rate(1 minute)")
def retry_emails(event: Any) -> None:
    """Retries due messages and owed waitlist promotions, and anything the stream missed."""
    pipeline().run_due()
    waitlist.settle_due(tables())


@tasks.schedule("rate(1 hour)")
def erase_expired_personal_data(event: Any) -> None:
    """Retention: an event's personal data is erased `retention_days` after it ends."""
    retention.erase_due(tables())
