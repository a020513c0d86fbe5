"""Identifiers. Random, opaque, URL-safe; none of them encodes personal data."""
from __future__ import annotations

import base64
import secrets

REGISTRATION_ID_BYTES = 10


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def new_registration_id() -> str:
    """16 lowercase base32 characters of 10 random bytes; the raw bytes travel inside ticket secrets."""
    return _b32(secrets.token_bytes(REGISTRATION_ID_BYTES))


def registration_id_bytes(registration_id: str) -> bytes:
    """The 10 raw bytes behind a registration id; ValueError if it is not one."""
    raw = base64.b32decode(registration_id.upper())  # 16 characters: no padding needed
    if len(raw) != REGISTRATION_ID_BYTES:
        raise ValueError("not a registration id")
    return raw


def registration_id_from_bytes(raw: bytes) -> str:
    return _b32(raw)


def new_id(prefix: str = "") -> str:
    """A general-purpose id (tokens, outbox messages, scans): 80 random bits."""
    return prefix + _b32(secrets.token_bytes(10))
