"""The organiser's registrations table: filters, search and an opaque cursor, one index Query a page.

Without a status filter the page is read from `Registration.by_event`, with one from
`by_event_status`; both are ordered by `created_key`, oldest first. A ticket-type filter is a
DynamoDB filter expression, so a page is filled across as many index pages as needed (pynamodb
resumes from the last item returned, not the last one evaluated, so nothing is skipped or repeated).

The cursor is the index key of the last item returned (DynamoDB's LastEvaluatedKey), as base64url
JSON. It is checked before use: a cursor that is not one of ours, belongs to another event or to
another status filter is a 400 naming `cursor`, never a 500 from DynamoDB.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from chalicelib.common.errors import ValidationError
from chalicelib.events import counters, events
from chalicelib.registration import search, views
from chalicelib.storage.models import Registration
from chalicelib.storage.tables import Tables

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# DynamoDB Limit per round trip while a ticket-type filter drops items, so a small page does not
# cost one round trip per registration evaluated.
FILTERED_PAGE_SIZE = 200


@dataclass(frozen=True)
class Filters:
    status: str | None
    ticket_type: str | None
    q: str | None
    limit: int
    cursor: dict[str, Any] | None


def parse_filters(event: dict[str, Any], params: dict[str, str]) -> Filters:
    """The query string checked against the event; a 400 names the first bad parameter."""
    status = params.get("status") or None
    if status is not None and status not in counters.STATUSES:
        raise ValidationError.field("status", "error.choose_one", choices=", ".join(counters.STATUSES))
    ticket_type = params.get("ticket_type") or None
    known = [t["id"] for t in event["ticket_types"]]
    if ticket_type is not None and ticket_type not in known:
        raise ValidationError.field("ticket_type", "error.ticket_type.unknown")
    raw_limit = params.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        if not (raw_limit.isascii() and raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT):
            raise ValidationError.field("limit", "error.whole_number", low=1, high=MAX_LIMIT)
        limit = int(raw_limit)
    q = (params.get("q") or "").strip() or None
    cursor = _decode_cursor(params["cursor"], event["id"], status) if params.get("cursor") else None
    return Filters(status, ticket_type, q, limit, cursor)


def page(db: Tables, event_id: str, params: dict[str, str]) -> dict[str, Any]:
    """`{items, next_cursor}` for the registrations table; `next_cursor` is null on the last page.

    With `q` the answer is the best matches of the search index, one page of at most `limit`
    (a search narrows the table; it is not paged through).
    """
    filters = parse_filters(events.load(db, event_id), params)
    if filters.q is not None:
        return {"items": [views.organiser_view(r) for r in _search(db, event_id, filters)],
                "next_cursor": None}
    condition = Registration.ticket_type == filters.ticket_type if filters.ticket_type else None
    if filters.status is None:
        index, hash_key = db.Registration.by_event, event_id
    else:
        index, hash_key = db.Registration.by_event_status, f"{event_id}#{filters.status}"  # type: ignore[assignment]
    results = index.query(hash_key, filter_condition=condition, limit=filters.limit,
                          last_evaluated_key=filters.cursor,
                          page_size=FILTERED_PAGE_SIZE if condition is not None else filters.limit)
    items = [views.organiser_view(r) for r in results]
    last_key = results.last_evaluated_key
    return {"items": items, "next_cursor": _encode_cursor(last_key) if last_key else None}


def _search(db: Tables, event_id: str, filters: Filters) -> list[Registration]:
    narrowed = filters.status is not None or filters.ticket_type is not None
    found = search.find(db, event_id, filters.q, limit=MAX_LIMIT if narrowed else filters.limit)  # type: ignore[arg-type]
    kept = [r for r in found if (filters.status in (None, r.status))
            and (filters.ticket_type in (None, r.ticket_type))]
    return kept[:filters.limit]


def _encode_cursor(key: dict[str, Any]) -> str:
    plain = {name: value["S"] for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, event_id: str, status: str | None) -> dict[str, Any]:
    """The DynamoDB ExclusiveStartKey behind a cursor, if it was made for this very listing."""
    bad = ValidationError.field("cursor", "error.cursor.invalid")
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    partition = ("event_id", event_id) if status is None else ("event_status", f"{event_id}#{status}")
    if (not isinstance(plain, dict) or set(plain) != {"id", "created_key", partition[0]}
            or plain[partition[0]] != partition[1]
            or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in plain.values())):
        raise bad
    return {name: {"S": value} for name, value in plain.items()}
