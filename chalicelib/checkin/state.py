"""One ticket's door state on one check-in list, and what a successful scan does to it. No storage here.

The state is a small map kept on the registration item under `checkins.<list id>`:

    entries, exits    successful entry and exit scans on this list
    first_at          scan time of the earliest entry (as the scanner sent it)
    last_type         type of the latest scan by scan time ("entry" or "exit")
    last_scanned_at   scan time of that latest scan
    last_at           when the server recorded the most recent scan (arrival order)
    inside            last_type == "entry"
    version           bumped by every scan; the scan's write is conditional on it

"Latest" is by scan time, not by arrival, as in pretix: an offline exit uploaded late counts where
it happened and does not overwrite a newer entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.common import clock

if TYPE_CHECKING:
    from chalicelib.storage.models import Registration

EMPTY = {"entries": 0, "exits": 0, "inside": False, "version": 0}


@dataclass(frozen=True)
class Change:
    state: dict[str, Any]
    first_entry: bool  # the ticket's first entry on this list: checkin_count goes up
    inside_delta: int  # -1, 0 or +1 for inside_count


def all_lists(registration: Registration) -> dict[str, dict[str, Any]]:
    """A registration's door state on every list it was scanned on, by list id."""
    lists: dict[str, dict[str, Any]] = (
        registration.checkins.as_dict() if registration.checkins else {})  # type: ignore[no-untyped-call]
    return lists


def entry_allowed(state: dict[str, Any] | None, checkin_list: dict[str, Any]) -> bool:
    """Whether the list lets this ticket in again: never entered, multi-entry, or re-entry after an exit."""
    if not state or state["entries"] == 0 or checkin_list["allow_multiple_entries"]:
        return True
    return checkin_list["allow_entry_after_exit"] and state.get("last_type") == "exit"


def apply(state: dict[str, Any] | None, scan_type: str, scanned_at: str, received_at: str) -> Change:
    """The state after one successful scan of `scan_type` made at `scanned_at` (ISO with offset)."""
    before = state or EMPTY
    after = {**before, "version": before["version"] + 1, "last_at": received_at}
    moment = clock.parse_iso(scanned_at)
    if scan_type == "entry":
        after["entries"] += 1
        first = before.get("first_at")
        if first is None or moment < clock.parse_iso(first):  # type: ignore[arg-type]
            after["first_at"] = scanned_at
    else:
        after["exits"] += 1
    latest = before.get("last_scanned_at")
    if latest is None or moment >= clock.parse_iso(latest):  # type: ignore[arg-type]
        after.update(last_type=scan_type, last_scanned_at=scanned_at, inside=scan_type == "entry")
    return Change(after, scan_type == "entry" and before["entries"] == 0,
                  int(after["inside"]) - int(before["inside"]))
