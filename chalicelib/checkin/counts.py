"""Door counts per check-in list, changed in the scans' own transactions, so they never drift from the
log, and spread over `shard_count()` counter items `list#<event>#<list>#<n>` (a scan writes a random one), so
no item is written by every scan at a gate's peak; a read sums them (one BatchGetItem).

Attributes (dynamic names, like the registration counters):

    checkin_count, checkin_count__<ticket type>   tickets with at least one entry on this list
    inside_count,  inside_count__<ticket type>    tickets whose latest scan is an entry
    arrivals__YYYYMMDDHH                          entries scanned in that hour, event timezone
    offline_conflicts                             offline admissions the server would have refused (SPEC §7)

`position_count` (tickets the list admits) is not stored here: it is the confirmed registrations
of the admitted ticket types, `confirmed__<ticket type>` on the event's registration counters.
"""
from __future__ import annotations

import random
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.checkin import lists
from chalicelib.checkin.state import Change
from chalicelib.common.config import settings
from chalicelib.events import counters
from chalicelib.storage import shards
from chalicelib.storage.models import Counter
from chalicelib.storage.tables import Tables


def shard_count() -> int:
    """KAPI_DOOR_SHARDS (default 8): ~14 scans/s at the design peak, over all lanes (SPEC §11), is
    under 2 transactions a second per item on 8 shards, and 12 lists' shards fit one BatchGetItem."""
    return settings().door_shards


def key(event_id: str, list_id: str, shard: int) -> str:
    return f"list#{event_id}#{list_id}#{shard}"


def item(db: Tables, event_id: str, list_id: str) -> Counter:
    """A random shard of the list's counts: any shard may hold any part of a count."""
    return db.Counter(key(event_id, list_id, random.randrange(shard_count())))


def read(db: Tables, event_id: str, list_id: str) -> dict[str, int]:
    return read_many(db, event_id, [list_id])[list_id]


def read_many(db: Tables, event_id: str, list_ids: list[str]) -> dict[str, dict[str, int]]:
    """The counts of several lists of one event, summed per list, in BatchGetItem calls of 100 keys."""
    by_list = shards.read(db, {list_id: [key(event_id, list_id, n) for n in range(shard_count())]
                               for list_id in list_ids})
    return {list_id: shards.total(items) for list_id, items in by_list.items()}


def hour_key(moment: datetime, timezone: str) -> str:
    return "arrivals__" + moment.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d%H")


def scan_actions(ticket_type: str, scan_type: str, change: Change, moment: datetime, timezone: str,
                 conflict: bool = False) -> list[Any]:
    """ADD actions for one successful scan of a ticket of `ticket_type` made at `moment`."""
    deltas: dict[str, int] = {"offline_conflicts": int(conflict)}
    if change.first_entry:
        deltas.update({"checkin_count": 1, f"checkin_count__{ticket_type}": 1})
    if change.inside_delta:
        deltas.update({"inside_count": change.inside_delta, f"inside_count__{ticket_type}": change.inside_delta})
    if scan_type == "entry":
        deltas[hour_key(moment, timezone)] = 1
    return shards.adds(deltas)


def retype_actions(old_type: str, new_type: str, ticket_state: dict[str, Any]) -> list[Any]:
    """ADD actions moving one ticket's per-type counts of a list to its new ticket type (a reissue)."""
    deltas: dict[str, int] = {}
    for name, counted in (("checkin_count", ticket_state.get("entries", 0) > 0),
                          ("inside_count", ticket_state.get("inside", False))):
        if counted:
            deltas.update({f"{name}__{old_type}": -1, f"{name}__{new_type}": 1})
    return shards.adds(deltas)


def status(db: Tables, event_doc: dict[str, Any], checkin_list: dict[str, Any]) -> dict[str, Any]:
    """`{position_count, checkin_count, inside_count, by_ticket_type}` in two BatchGetItems."""
    registered = counters.read(db, event_doc["id"])
    return figures(event_doc, checkin_list, registered, read(db, event_doc["id"], checkin_list["id"]))


def figures(event_doc: dict[str, Any], checkin_list: dict[str, Any], registered: dict[str, int],
            door: dict[str, int]) -> dict[str, Any]:
    """A list's counts from the event's registration counters and the list's own counter item."""
    by_type = {tt: {"position_count": registered.get(f"confirmed__{tt}", 0),
                    "checkin_count": door.get(f"checkin_count__{tt}", 0),
                    "inside_count": door.get(f"inside_count__{tt}", 0)}
               for tt in lists.admitted_types(checkin_list, event_doc)}
    return {"position_count": sum(row["position_count"] for row in by_type.values()),
            "checkin_count": door.get("checkin_count", 0), "inside_count": door.get("inside_count", 0),
            "by_ticket_type": by_type}
