"""Registration counts per event, kept on one counter item and changed in the same transaction as the
registration they count. Seats are enforced by a condition on that item, so a burst never oversells.

Attribute names: `<status>` and `<status>__<ticket type>` for every registration status, plus
`held` / `held__<ticket type>` for seats taken (confirmed and pending approval both hold a seat, so
approving never fails for lack of room), and `retired__<ticket type>` on a ticket type removed from
the event: a registration's counter update requires its type not retired (`room_condition`), and
removing a type requires it never counted (`retire_and_restore`), so the two cannot both succeed.
"""
from __future__ import annotations

from pynamodb.expressions.operand import Path

from chalicelib.storage.connection import connection
from chalicelib.storage.models import Counter

STATUSES = ("confirmed", "waitlisted", "pending_approval", "cancelled", "rejected")
HOLDS_SEAT = frozenset({"confirmed", "pending_approval"})


def key(event_id: str) -> str:
    return f"reg#{event_id}"


def item(event_id: str) -> Counter:
    return Counter(key(event_id))


def read(event_id: str) -> dict[str, int]:
    """All counts of an event in one consistent GetItem."""
    return read_item(key(event_id))


def read_item(pk: str) -> dict[str, int]:
    """The numbers on one counter item (attribute names are dynamic, so read raw)."""
    item = connection().client.get_item(TableName=Counter.Meta.table_name, Key={"pk": {"S": pk}},
                                        ConsistentRead=True).get("Item", {})
    return _numbers(item)


def read_many(event_ids: list[str]) -> dict[str, dict[str, int]]:
    """The counts of several events in BatchGetItem calls of up to 100 keys (the public event list)."""
    found: dict[str, dict[str, int]] = {event_id: {} for event_id in event_ids}
    table = Counter.Meta.table_name
    for start in range(0, len(event_ids), 100):
        request = {table: {"Keys": [{"pk": {"S": key(e)}} for e in event_ids[start:start + 100]]}}
        while request:
            answer = connection().client.batch_get_item(RequestItems=request)
            for item in answer["Responses"].get(table, []):
                found[item["pk"]["S"].removeprefix("reg#")] = _numbers(item)
            request = answer.get("UnprocessedKeys") or None
    return found


def _numbers(item: dict) -> dict[str, int]:
    return {name: int(value["N"]) for name, value in item.items() if "N" in value}


def move(ticket_type: str, old: str | None, new: str | None, new_ticket_type: str | None = None) -> list:
    """Update actions for one registration moving from status `old` to `new` (None = not counted) and,
    with `new_ticket_type`, from `ticket_type` to that ticket type (a reissued ticket)."""
    deltas: dict[str, int] = {}
    for status, tt, sign in ((old, ticket_type, -1), (new, new_ticket_type or ticket_type, 1)):
        if status is None:
            continue
        for name in (status, f"{status}__{tt}"):
            deltas[name] = deltas.get(name, 0) + sign
        if status in HOLDS_SEAT:
            for name in ("held", f"held__{tt}"):
                deltas[name] = deltas.get(name, 0) + sign
    return adds(deltas)


def adds(deltas: dict[str, int]) -> list:
    """ADD actions for the non-zero deltas of a counter item's dynamic attributes."""
    return [Path(name).add(delta) for name, delta in deltas.items() if delta]


def room_condition(event: dict, ticket_type: str, fair_to_waitlist: bool, event_wide: bool = True,
                   holds_seat: bool = True):
    """Condition that one more registration of `ticket_type` is counted: the type is still on sale
    and, if it `holds_seat`, one more seat fits the event's and the ticket type's capacity.

    With `fair_to_waitlist`, a newcomer may not take a seat while people of that ticket type are
    waiting: freed seats belong to the waitlist. Without `event_wide`, only the ticket type's
    capacity counts (a seat changing ticket type leaves the event's total as it was).
    """
    conditions = [Path(f"retired__{ticket_type}").does_not_exist()]
    if not holds_seat:
        return conditions[0]
    if event_wide and event.get("capacity") is not None:
        conditions.append(_below(Path("held"), event["capacity"]))
    capacity = _ticket_type(event, ticket_type).get("capacity")
    if capacity is not None:
        conditions.append(_below(Path(f"held__{ticket_type}"), capacity))
    if fair_to_waitlist:
        waiting = Path(f"waitlisted__{ticket_type}")
        conditions.append(waiting.does_not_exist() | (waiting == 0))
    return _all(conditions)


def retire_and_restore(event_id: str, removed: set[str], added: set[str]):
    """The counter item, update actions and condition for removing and (re-)adding ticket types:
    `removed` ones only if no registration of them was ever counted (cancelled ones included: their
    ticket pages and emails still name the type), and from then on closed to registrations."""
    actions = [Path(f"retired__{tt}").set(1) for tt in sorted(removed)]
    actions += [Path(f"retired__{tt}").remove() for tt in sorted(added)]
    never_counted = [Path(f"{status}__{tt}").does_not_exist() | (Path(f"{status}__{tt}") == 0)
                     for tt in sorted(removed) for status in STATUSES]
    return item(event_id), actions, _all(never_counted) if never_counted else None


def in_use(counts: dict[str, int], ticket_types: set[str]) -> list[str]:
    """The ticket types among `ticket_types` that some registration, even a cancelled one, has."""
    return sorted(tt for tt in ticket_types if any(counts.get(f"{s}__{tt}", 0) for s in STATUSES))


def _all(conditions: list):
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined & condition
    return combined


def _below(path: Path, limit: int):
    if limit <= 0:
        return path < 0  # a capacity of 0 admits nobody; a missing attribute compares false too
    return path.does_not_exist() | (path < limit)


def available(event: dict, counts: dict[str, int]) -> dict[str, int | None]:
    """Seats left per ticket type (None = unlimited), the smaller of the event's and the type's room;
    none for newcomers while people of that type wait."""
    return {tt: 0 if room and counts.get(f"waitlisted__{tt}", 0) > 0 else room
            for tt, room in _rooms(event, counts).items()}


def waiting_with_room(event: dict, counts: dict[str, int]) -> list[str]:
    """Ticket types whose waitlisted people have a free seat: the waitlist still owes them a move."""
    return [tt for tt, room in _rooms(event, counts).items()
            if counts.get(f"waitlisted__{tt}", 0) > 0 and (room is None or room > 0)]


def _rooms(event: dict, counts: dict[str, int]) -> dict[str, int | None]:
    event_room = None if event.get("capacity") is None else event["capacity"] - counts.get("held", 0)
    result = {}
    for ticket_type in event["ticket_types"]:
        tt = ticket_type["id"]
        own = None if ticket_type.get("capacity") is None else ticket_type["capacity"] - counts.get(f"held__{tt}", 0)
        rooms = [r for r in (event_room, own) if r is not None]
        result[tt] = max(0, min(rooms)) if rooms else None
    return result


def _ticket_type(event: dict, ticket_type: str) -> dict:
    return next(t for t in event["ticket_types"] if t["id"] == ticket_type)


def available_in_all(event: dict, counts: dict[str, int]) -> int | None:
    """Seats left in the event as a whole (None = unlimited): its types' rooms together, within its own."""
    rooms = available(event, counts).values()
    total = None if None in rooms else sum(rooms)
    if event.get("capacity") is None:
        return total
    event_room = max(0, event["capacity"] - counts.get("held", 0))
    return event_room if total is None else min(total, event_room)
