"""The organisers' actions, one JSON line each, with the acting token's id (SPEC §16).

`calls.caller` names the acting token for the request (`acting`); a handler wrapped in `audited`
writes one line when it ends, whether it succeeded or was refused:
`{"msg": "action", "action": "registration.cancel", "token_id": "...", "event_id": "...",
"registration_id": "...", "status": 200}`. Ids and codes only: no name, address, answer or secret
(a registration id is a random key, not a ticket secret). A domain call may add ids of its own
(`note(revoked_tokens=[...])`).
"""
from __future__ import annotations

import contextvars
import functools
import json
import logging
from typing import Any, Callable

from chalicelib.common.errors import ApiError

log = logging.getLogger("kapi")

_acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("kapi_acting_token", default=None)
_notes: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("kapi_action_notes", default=None)
_IDS = ("event_id", "registration_id", "token_id")  # path parameters a line names


def acting(token_id: str) -> None:
    """The token this request acts with (set once it is authenticated)."""
    _acting.set(token_id)


def note(**fields: Any) -> None:
    """More ids for this request's action line (ignored outside an audited handler)."""
    notes = _notes.get()
    if notes is not None:
        notes.update(fields)


def audited(action: str | None = None, *, action_param: str | None = None) -> Callable[..., Any]:
    """Log the wrapped handler's outcome as an action; the action's name is `action`, or
    `registration.<value of the path parameter action_param>` (approve, reject, cancel, resend)."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(**params: Any) -> Any:
            _acting.set(None)
            _notes.set({})
            name = action or f"registration.{params.get(action_param or '', '')}"
            try:
                result = view(**params)
            except ApiError as error:
                _write(name, params, error.status)
                raise
            _write(name, params, getattr(result, "status_code", 200))
            return result
        return wrapper
    return decorate


def _write(action: str, params: dict[str, Any], status: int) -> None:
    ids = {("target_token_id" if key == "token_id" else key): params[key] for key in _IDS if key in params}
    log.info(json.dumps({"msg": "action", "action": action, "token_id": _acting.get(), **ids,
                         **(_notes.get() or {}), "status": status}, separators=(",", ":")))
