"""Door sign-in without the token in a URL (SPEC §16): a single-use code, valid 10 minutes.

The dashboard asks for a scanner token with `sign_in_code: true` and shows `<site>/scan#code=<code>`
as a QR code; the scanner page exchanges the code for the token (`POST /api/door/sign-in`) and keeps
the token on the device. The code is stored as a Claim whose key is a hash of it, holding the token
encrypted (AES-GCM) under another key derived from the code: the table alone gives neither the code
nor the token. The claim's `expires_at` is the code's whole lifetime (DynamoDB's TTL removes it later;
the exchange checks it itself), and the exchange deletes the claim on a condition, so two phones
racing with one code get one token.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timezone
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pynamodb.exceptions import DeleteError

from chalicelib.common import clock
from chalicelib.common.errors import FieldError, Unauthorized, ValidationError
from chalicelib.storage.models import Claim
from chalicelib.storage.tables import Tables
from chalicelib.storage.transaction import Transaction

LIFETIME_SECONDS = 600


def claim_key(code: str) -> str:
    """The claim's key for a code: a hash, so the table never holds the code."""
    return "signin#" + hashlib.sha256(b"kapi sign-in code\0" + code.encode()).hexdigest()


def _cipher(code: str) -> AESGCM:
    return AESGCM(hashlib.sha256(b"kapi sign-in key\0" + code.encode()).digest())


def stage(db: Tables, tx: Transaction, token: str, role: str, events: list[str],
          token_expires_at: str | None) -> dict[str, Any]:
    """Add a new code for `token` to the transaction that creates the token; its answer for the creator."""
    code = secrets.token_urlsafe(24)  # 32 characters, 192 bits: nothing to guess
    nonce = secrets.token_bytes(12)
    sealed = base64.b64encode(nonce + _cipher(code).encrypt(nonce, token.encode(), None)).decode()
    expires = int(clock.now().timestamp()) + LIFETIME_SECONDS
    tx.put("sign-in code", db.Claim(claim_key(code), expires_at=expires,
                                    response={"token": sealed, "role": role, "events": events,
                                              "expires_at": token_expires_at}),
           condition=Claim.pk.does_not_exist())
    return {"code": code, "expires_at": clock.iso(datetime.fromtimestamp(expires, timezone.utc))}


def exchange(db: Tables, body: dict[str, Any]) -> dict[str, Any]:
    """The token behind a code, once: a used, unknown or expired code is 401, naming `code`."""
    code = body.get("code")
    unknown = sorted(set(body) - {"code"})
    if unknown:
        raise ValidationError.field(unknown[0], "error.field.unknown")
    if not isinstance(code, str) or not code:
        raise ValidationError.field("code", "error.form.required")
    now = int(clock.now().timestamp())
    try:
        claim = db.Claim.get(claim_key(code), consistent_read=True)
    except Claim.DoesNotExist:
        raise _refused("error.sign_in.used") from None
    if claim.expires_at is None or claim.expires_at <= now or not claim.response:
        raise _refused("error.sign_in.expired")
    try:  # the claim is spent even if the token inside turns out revoked: a code is never used twice
        claim.delete(condition=Claim.pk.exists() & (Claim.expires_at > now))
    except DeleteError:
        raise _refused("error.sign_in.used") from None
    sealed = base64.b64decode(claim.response["token"])
    try:
        token = _cipher(code).decrypt(sealed[:12], sealed[12:], None).decode()
    except InvalidTag:  # cannot happen for a key derived from this code; refused rather than a 500
        raise _refused("error.sign_in.used") from None
    return {"token": token, "role": claim.response["role"], "events": claim.response["events"],
            "expires_at": claim.response.get("expires_at")}


def _refused(message: str) -> Unauthorized:
    return Unauthorized(message, [FieldError("code", message)])
