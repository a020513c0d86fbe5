"""The workers' side of owed waitlist promotions: whatever a request that freed a seat did not finish.

The request settles its own promotion right after its commit (`registrations.settle_after_commit`);
if it died in between, or the store was busy, the debt it wrote in that commit is found here, past
its grace period, by the local run's worker thread and, in AWS, by the outbox stream (a new debt)
and the minute schedule.
"""
from __future__ import annotations

import logging

from chalicelib.common import clock
from chalicelib.storage import outbox
from chalicelib.registration import registrations
from chalicelib.storage.models import OwedPromotion

log = logging.getLogger("kapi")


def settle_due(limit: int = 50) -> int:
    """Settle up to `limit` owed promotions past their grace; one failing event never stops the rest."""
    due = list(OwedPromotion.by_due.query(outbox.promotion_queue(), OwedPromotion.due_at <= clock.iso(clock.now()),
                                          limit=limit))
    for owed in due:
        _settle_logged(owed.event_id)
    return len(due)


def settle_stream_records(records: list[dict]) -> None:
    """Owed promotions new in the outbox table's stream (the schedule retries any that fail here)."""
    for record in records:
        item_id = record.get("dynamodb", {}).get("Keys", {}).get("id", {}).get("S", "")
        if record.get("eventName") == "INSERT" and not outbox.is_email(item_id):
            _settle_logged(item_id.removeprefix(outbox.PROMOTION_PREFIX))


def _settle_logged(event_id: str) -> None:
    try:
        registrations.settle_promotion(event_id)
    except Exception:  # noqa: BLE001 - the debt stays; the next round tries again
        log.exception("owed waitlist promotion not settled")
