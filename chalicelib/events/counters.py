"""Registration counts and seats per event, spread over `shard_count()` counter items and changed in the same
transaction as the registration they count (SPEC §11: no item is written by every registration).

Items `reg#<event>#<n>`, n = 0 .. shard_count()-1. Any shard may hold any part of a count, so a count is the
sum over the shards, read with one BatchGetItem (`read`). Attribute names: `<status>` and
`<status>__<ticket type>` for every registration status, `held` / `held__<ticket type>` for seats taken
(confirmed and pending approval both hold a seat, so approving never fails for lack of room) and
`arrived` (tickets with a first entry, written by the door).

Seats are tokens. `free` (the event's capacity) and `free__<ticket type>` (a type's capacity) are split
over the shards; a registration takes one from a shard under the condition `free >= 1` on that very
shard, so shards never oversell and together they never oversell. Sum of `free` = capacity - held,
always. A registration first tries one random shard; if that one is out of tokens it reads all shards
and tries one that has a token (`find_room`), and answers sold out or waitlisted only when none has.

Shard 0 is the returns shard: seats given back (cancel, reject, a reissue to another type) and
capacity added while people wait land there, and a newcomer's first try never goes there, so a freed
seat reaches the waitlist, not the next newcomer. Only shard 0 may go below zero: capacity lowered
below the seats already held leaves a debt there, which seats given back repay before anyone is let in.

A ticket type removed from the event leaves `retired__<ticket type>` on every shard: every shard update
of a registration requires its type not retired there (`stage`), and the removal sets the marker on
each shard only if that shard never counted the type (`reshape`), so the two cannot both succeed.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pynamodb.expressions.operand import Path

from chalicelib.common.config import settings
from chalicelib.events import definition
from chalicelib.storage import shards as shards_of
from chalicelib.storage.models import Counter
from chalicelib.storage.tables import Tables

if TYPE_CHECKING:
    from chalicelib.storage.transaction import Transaction

STATUSES = ("confirmed", "waitlisted", "pending_approval", "cancelled", "rejected")
HOLDS_SEAT = frozenset({"confirmed", "pending_approval"})
RETURNS = 0


def shard_count() -> int:
    """KAPI_COUNTER_SHARDS (default 64): 5,000 registrations/s over 63 first-try shards is ~80
    transactions/s and ~160 write units/s per item (README, "Sharded counters"); 64 keys are one
    BatchGetItem, and creating or resizing an event touches at most 64 + 2 items of a transaction's
    100. Set once per deployment: tokens on shards past a lowered count would be lost. With 1,
    everything is on one item (the scaled simulation's baseline)."""
    return settings().counter_shards


def _first_try_shards() -> range:
    """Every shard but the returns shard; the returns shard itself when it is the only one."""
    return range(1, shard_count()) if shard_count() > 1 else range(RETURNS, RETURNS + 1)


def key(event_id: str, shard: int) -> str:
    return f"reg#{event_id}#{shard}"


def item(db: Tables, event_id: str) -> Counter:
    """A random shard, for count changes without a seat condition (e.g. the door's `arrived`)."""
    return db.Counter(key(event_id, random.randrange(shard_count())))


# --- Reading ----------------------------------------------------------------------------------

def read(db: Tables, event_id: str) -> dict[str, int]:
    """All counts of an event, summed over its shards (one consistent BatchGetItem)."""
    return read_many(db, [event_id])[event_id]


def read_many(db: Tables, event_ids: list[str]) -> dict[str, dict[str, int]]:
    """The counts of several events (the public event list), in BatchGetItem calls of 100 keys."""
    shards = shards_of.read(db, {event_id: [key(event_id, n) for n in range(shard_count())] for event_id in event_ids})
    return {event_id: shards_of.total(items) for event_id, items in shards.items()}


# --- Seats ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Seat:
    """Where a registration takes its seat: the shard of each token pool it needs (`free`, `free__vip`);
    `home` receives its counts. With `fair_type`, that shard must show nobody of that type waiting."""
    pools: dict[str, int] = field(default_factory=dict)
    home: int = 1
    fair_type: str | None = None


def pools(event: dict[str, Any], ticket_type: str, event_wide: bool = True) -> list[str]:
    """The token pools a seat of `ticket_type` draws on: the event's capacity and the type's, if set."""
    needed = ["free"] if event_wide and event.get("capacity") is not None else []
    if definition.ticket_type(event, ticket_type).get("capacity") is not None:
        needed.append(f"free__{ticket_type}")
    return needed


def first_try(event: dict[str, Any], ticket_type: str, fair_to_waitlist: bool, event_wide: bool = True) -> Seat:
    """One random shard other than the returns shard, for every pool."""
    shard = random.choice(_first_try_shards())
    return Seat({pool: shard for pool in pools(event, ticket_type, event_wide)}, shard,
                ticket_type if fair_to_waitlist else None)


def find_room(db: Tables, event: dict[str, Any], ticket_type: str, fair_to_waitlist: bool,
              event_wide: bool = True) -> Seat | None:
    """A seat on shards that showed a token of every pool just now, or None if some pool has none anywhere.

    With `fair_to_waitlist`, there is no room while anyone of that type waits: freed seats are theirs.
    """
    needed = pools(event, ticket_type, event_wide)
    if not needed:
        return first_try(event, ticket_type, False, event_wide)
    shards = shards_of.read(db, {"": [key(event["id"], n) for n in range(shard_count())]})[""]
    if fair_to_waitlist and shards_of.total(shards).get(f"waitlisted__{ticket_type}", 0) > 0:
        return None
    with_token = {pool: [n for n, numbers in enumerate(shards) if numbers.get(pool, 0) >= 1] for pool in needed}
    if any(not candidates for candidates in with_token.values()):
        return None
    every = set.intersection(*(set(c) for c in with_token.values()))
    if every:
        shard = random.choice(sorted(every))
        return Seat({pool: shard for pool in needed}, shard)
    chosen = {pool: random.choice(candidates) for pool, candidates in with_token.items()}
    return Seat(chosen, chosen[needed[0]])


def stage(db: Tables, tx: Transaction, label: str, event_id: str, ticket_type: str, old: str | None, new: str | None,
          new_ticket_type: str | None = None, seat: Seat | None = None) -> None:
    """Add to `tx` the count changes of one registration moving from status `old` to `new` (None = not
    counted) and, with `new_ticket_type`, to that ticket type; a seat taken comes from `seat`'s shards
    under their token conditions, a seat given back goes to the returns shard. Every part is labelled
    `label`, so a cancelled transaction names it whichever shard ran out."""
    new_type = new_ticket_type or ticket_type
    writes = _Writes()
    home = seat.home if seat else (RETURNS if old in HOLDS_SEAT else random.randrange(shard_count()))
    for status, tt, sign in ((old, ticket_type, -1), (new, new_type, 1)):
        if status is None:
            continue
        for name in (status, f"{status}__{tt}"):
            writes.add(home, name, sign)
        if status in HOLDS_SEAT:
            for name in ("held", f"held__{tt}"):
                writes.add(home, name, sign)
    gives_back = old in HOLDS_SEAT and (new not in HOLDS_SEAT or new_type != ticket_type)
    if gives_back:
        writes.add(RETURNS, f"free__{ticket_type}", 1)
        if new not in HOLDS_SEAT:
            writes.add(RETURNS, "free", 1)
    for pool, shard in (seat.pools.items() if seat else ()):
        writes.add(shard, pool, -1)
        writes.condition(shard, Path(pool) >= 1)
    if seat and seat.fair_type:
        waiting = Path(f"waitlisted__{seat.fair_type}")
        writes.condition(seat.home, waiting.does_not_exist() | (waiting == 0))
    if new is not None:
        writes.condition_everywhere(Path(f"retired__{new_type}").does_not_exist())
    writes.stage(db, tx, label, event_id)


def allot(db: Tables, tx: Transaction, label: str, event: dict[str, Any]) -> None:
    """The tokens of a new event: each capacity spread over the first-try shards."""
    writes = _Writes()
    for pool, capacity in _capacities(event).items():
        if capacity is not None:
            for shard, amount in _spread(capacity).items():
                writes.add(shard, pool, amount)
    writes.stage(db, tx, label, event["id"])


def reshape(db: Tables, tx: Transaction, label: str, old_event: dict[str, Any], new_event: dict[str, Any]) -> None:
    """The counter changes of an event edit: ticket types removed are retired and types added restored
    on every shard, and tokens move so each pool's total is its new capacity minus the seats held.

    A type is retired only where the shard never counted it (cancelled registrations included: their
    ticket pages and emails still name the type), so a registration racing the removal fails one or the
    other. Tokens never oversell: more capacity goes to the debt first, then to the returns shard if
    people of the pool wait (so the waitlist gets it) or over the first-try shards. Less capacity takes
    tokens from shards that have them, each take conditional on the shard still having them; what is
    left becomes a debt on the returns shard. Turning a limit on sets the returns shard to capacity -
    held and clears the others. At most one update per shard: shard_count() items.
    """
    before, after = _capacities(old_event), _capacities(new_event)
    changed = [pool for pool in after if before.get(pool) != after[pool]]
    removed, added = definition.ticket_type_changes(old_event, new_event)
    if not changed and not removed and not added:
        return
    shards = shards_of.read(db, {"": [key(new_event["id"], n) for n in range(shard_count())]})[""]
    summed = shards_of.total(shards)
    writes = _Writes()
    for tt in sorted(removed):
        for shard in range(shard_count()):
            writes.set(shard, f"retired__{tt}", 1)
        for status in STATUSES:
            counted = Path(f"{status}__{tt}")
            writes.condition_everywhere(counted.does_not_exist() | (counted == 0))
    for tt in sorted(added):
        for shard in range(shard_count()):
            writes.remove(shard, f"retired__{tt}")
    for pool in changed:
        held, waiting = _held(pool), _waiting(pool)
        old, new = before.get(pool), after[pool]
        if new is None:
            for shard, numbers in enumerate(shards):
                if pool in numbers:
                    writes.remove(shard, pool)
        elif old is None:
            for shard, numbers in enumerate(shards):
                if shard != RETURNS and pool in numbers:
                    writes.remove(shard, pool)
            writes.set(RETURNS, pool, new - summed.get(held, 0))
        elif new > old:
            _grow(writes, pool, new - old, shards, summed.get(waiting, 0) > 0)
        else:
            _shrink(writes, pool, old - new, shards)
    writes.stage(db, tx, label, new_event["id"])


def in_use(counts: dict[str, int], ticket_types: set[str]) -> list[str]:
    """The ticket types among `ticket_types` that some registration, even a cancelled one, has."""
    return sorted(tt for tt in ticket_types if any(counts.get(f"{s}__{tt}", 0) for s in STATUSES))


def _grow(writes: "_Writes", pool: str, amount: int, shards: list[dict[str, int]], someone_waits: bool) -> None:
    debt = max(0, -shards[RETURNS].get(pool, 0))
    to_returns = amount if someone_waits else min(amount, debt)
    if to_returns:
        writes.add(RETURNS, pool, to_returns)
    for shard, part in _spread(amount - to_returns).items():
        writes.add(shard, pool, part)


def _shrink(writes: "_Writes", pool: str, amount: int, shards: list[dict[str, int]]) -> None:
    for shard, numbers in enumerate(shards):
        take = min(amount, max(0, numbers.get(pool, 0)))
        if take:
            writes.add(shard, pool, -take)
            writes.condition(shard, Path(pool) >= take)
            amount -= take
    if amount:
        writes.add(RETURNS, pool, -amount)


def _spread(amount: int) -> dict[int, int]:
    """`amount` over the first-try shards, as evenly as whole numbers go."""
    shards = _first_try_shards()
    share, rest = divmod(amount, len(shards))
    return {shard: share + (1 if n < rest else 0) for n, shard in enumerate(shards) if share or n < rest}


def _capacities(event: dict[str, Any]) -> dict[str, int | None]:
    found: dict[str, int | None] = {"free": event.get("capacity")}
    found.update({f"free__{t['id']}": t.get("capacity") for t in event["ticket_types"]})
    return found


def _held(pool: str) -> str:
    return pool.replace("free", "held", 1)


def _waiting(pool: str) -> str:
    return pool.replace("free", "waitlisted", 1)


class _Writes:
    """Per-shard actions and conditions, staged as one update per shard item (DynamoDB refuses two
    operations on one item in a transaction)."""

    def __init__(self) -> None:
        self._deltas: dict[int, dict[str, int]] = {}
        self._sets: dict[int, dict[str, int]] = {}
        self._removes: dict[int, list[str]] = {}
        self._conditions: dict[int, list[Any]] = {}
        self._everywhere: list[Any] = []

    def add(self, shard: int, name: str, delta: int) -> None:
        deltas = self._deltas.setdefault(shard, {})
        deltas[name] = deltas.get(name, 0) + delta

    def set(self, shard: int, name: str, value: int) -> None:
        self._sets.setdefault(shard, {})[name] = value

    def remove(self, shard: int, name: str) -> None:
        self._removes.setdefault(shard, []).append(name)

    def condition(self, shard: int, condition: Any) -> None:
        self._conditions.setdefault(shard, []).append(condition)

    def condition_everywhere(self, condition: Any) -> None:
        """A condition on every shard this change writes."""
        self._everywhere.append(condition)

    def stage(self, db: Tables, tx: Transaction, label: str, event_id: str) -> None:
        for shard in sorted(set(self._deltas) | set(self._sets) | set(self._removes)):
            actions = shards_of.adds(self._deltas.get(shard, {}))
            actions += [Path(name).set(value) for name, value in self._sets.get(shard, {}).items()]
            actions += [Path(name).remove() for name in self._removes.get(shard, [])]
            if not actions:
                continue
            conditions = self._conditions.get(shard, []) + self._everywhere
            combined = None
            for condition in conditions:
                combined = condition if combined is None else combined & condition
            tx.update(label, db.Counter(key(event_id, shard)), actions, condition=combined)


def available(event: dict[str, Any], counts: dict[str, int]) -> dict[str, int | None]:
    """Seats left per ticket type (None = unlimited), the smaller of the event's and the type's room;
    none for newcomers while people of that type wait."""
    return {tt: 0 if room and counts.get(f"waitlisted__{tt}", 0) > 0 else room
            for tt, room in _rooms(event, counts).items()}


def waiting_with_room(event: dict[str, Any], counts: dict[str, int]) -> list[str]:
    """Ticket types whose waitlisted people have a free seat: the waitlist still owes them a move."""
    return [tt for tt, room in _rooms(event, counts).items()
            if counts.get(f"waitlisted__{tt}", 0) > 0 and (room is None or room > 0)]


def _rooms(event: dict[str, Any], counts: dict[str, int]) -> dict[str, int | None]:
    """Seats left per ticket type from the tokens (None = unlimited), whoever they are for."""
    event_room = None if event.get("capacity") is None else counts.get("free", 0)
    result = {}
    for ticket_type in event["ticket_types"]:
        tt = ticket_type["id"]
        own = None if ticket_type.get("capacity") is None else counts.get(f"free__{tt}", 0)
        rooms = [r for r in (event_room, own) if r is not None]
        result[tt] = max(0, min(rooms)) if rooms else None
    return result


def available_in_all(event: dict[str, Any], counts: dict[str, int]) -> int | None:
    """Seats left in the event as a whole (None = unlimited): its types' rooms together, within its own."""
    rooms = available(event, counts).values()
    total = None if None in rooms else sum(rooms)  # type: ignore[arg-type]  # no None left
    if event.get("capacity") is None:
        return total
    event_room: int = max(0, event["capacity"] - counts.get("held", 0))
    return event_room if total is None else min(total, event_room)
