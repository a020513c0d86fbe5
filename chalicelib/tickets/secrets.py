"""Signed ticket secrets, the only thing a ticket's QR code holds, and manage secrets (SPEC §16).

Two secrets per ticket, of two kinds that never stand in for each other:

- the **ticket secret** (the QR code's text) admits at the door and nothing else;
- the **manage secret** opens the ticket page and cancels (`/t/{manage}`, `/api/tickets/{manage}…`).
  It travels only in the attendee's emails (the ticket page's link and its cancel link).

Both are derived, not stored: each is a function of the registration id, its revision and a key of
the keyring, so a reissue (revision + 1) replaces both, and rotating keys moves both along.

A secret lets anyone who holds only the public key, such as an offline scanner at the gate,
tell a ticket Kapı issued for this event from a forged or altered one. It carries no personal
data.

Layout:

    payload   = key_id (1 byte) | registration id (10 raw bytes) | revision (1 byte)    12 bytes
    signature = Ed25519 over b"kapi-ticket-v1\\0" + event_id (UTF-8) + b"\\0" + payload  64 bytes
    secret    = RFC 4648 base32 of payload + signature, upper case, no padding

Size: 12 + 64 = 76 bytes = 608 bits. Base32 carries 5 bits per character, so the secret is
ceil(608 / 5) = 122 characters. The base32 alphabet (A-Z, 2-7) lies inside the QR alphanumeric
set (11 bits per 2 characters). At error-correction level M, QR version 5 holds exactly 122
alphanumeric characters, so every ticket is a version 5 code, 37 modules wide. The spec's
ceiling, version 7 at M, holds 178 characters, which leaves room for 35 more payload bytes.

The event id is signed but not carried. The scanner already knows which event it checks, and
another event's ticket fails the signature. The revision lets a reissued ticket revoke the
secret it replaces: the registration keeps its current revision, and a lower one is revoked.

Manage secrets are shorter, because only the server verifies them and it holds the private keys:

    payload    = key_id (1 byte) | registration id (10 raw bytes) | revision (1 byte)   12 bytes
    tag        = HMAC-SHA256(manage key of key_id, b"kapi-manage-v1\\0" + payload), first 16 bytes
    manage key = HKDF-SHA256(the key id's raw Ed25519 private key, info=b"kapi-manage-key-v1")
    secret     = RFC 4648 base32 of payload + tag, upper case, no padding: 45 characters

A ticket secret is 122 characters, a manage secret 45, so neither can be read as the other, and a
scanner, which holds only public keys, can verify tickets but cannot make a manage secret. The tag
binds no event id: the server checks it before it reads anything, from the secret alone.

`cryptography` is imported only where keys are used, so importing this module stays cheap.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from chalicelib.common.ids import REGISTRATION_ID_BYTES, registration_id_bytes, registration_id_from_bytes

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_DOMAIN = b"kapi-ticket-v1\0"
_MANAGE_DOMAIN = b"kapi-manage-v1\0"
_MANAGE_KEY_INFO = b"kapi-manage-key-v1"
_TAG_BYTES = 16
_PAYLOAD_BYTES = 1 + REGISTRATION_ID_BYTES + 1
_SIGNATURE_BYTES = 64
MAX_KEY_ID = MAX_REVISION = 255


class InvalidTicket(ValueError):
    """Not a ticket Kapı issued for this event.

    Callers answer `invalid` whatever the cause. The message is only for logs.
    """


@dataclass(frozen=True)
class TicketRef:
    key_id: int
    registration_id: str
    revision: int


class Keyring:
    """Ed25519 signing keys by key id, one of them active.

    The active key signs new tickets. Every key in the ring still verifies, so tickets sent
    before a rotation stay valid until an operator removes their key.
    """

    def __init__(self, private_keys: Mapping[int, Ed25519PrivateKey], active_key_id: int):
        if active_key_id not in private_keys:
            raise ValueError("the active key id must be one of the keys")
        if any(not 0 <= key_id <= MAX_KEY_ID for key_id in private_keys):
            raise ValueError(f"key ids are 0..{MAX_KEY_ID}")
        self.private_keys = MappingProxyType(dict(private_keys))
        self.active_key_id = active_key_id
        self._public_keys = {key_id: key.public_key() for key_id, key in private_keys.items()}
        self._manage_keys: dict[int, bytes] = {}

    @classmethod
    def generate(cls, key_id: int = 1) -> Keyring:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls({key_id: Ed25519PrivateKey.generate()}, key_id)

    def rotated(self) -> Keyring:
        """A new ring in which a fresh key signs. The old keys stay for verification."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key_id = max(self.private_keys) + 1
        if key_id > MAX_KEY_ID:
            raise ValueError("no key id left; remove retired keys and renumber from 0")
        return Keyring({**self.private_keys, key_id: Ed25519PrivateKey.generate()}, key_id)

    def public_key(self, key_id: int) -> Ed25519PublicKey | None:
        return self._public_keys.get(key_id)

    def manage_key(self, key_id: int) -> bytes | None:
        """The HMAC key of manage secrets under `key_id`, derived from its private key (never published)."""
        private_key = self.private_keys.get(key_id)
        if private_key is None:
            return None
        if key_id not in self._manage_keys:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF

            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_MANAGE_KEY_INFO)
            self._manage_keys[key_id] = hkdf.derive(private_key.private_bytes_raw())
        return self._manage_keys[key_id]

    def public_keys(self) -> list[dict[str, Any]]:
        """Verification keys for the offline scanner bundle.

        Each entry is `{"key_id", "public_key"}`. The key is the raw 32 bytes in unpadded
        base64url, the form of a JWK's "x".
        """
        return [
            {"key_id": key_id, "public_key": _b64url(key.public_bytes_raw())}
            for key_id, key in sorted(self._public_keys.items())
        ]


class TicketSigner:
    """Issues and verifies secrets with one keyring. Build it once per process; it is stateless."""

    def __init__(self, keyring: Keyring):
        self._keyring = keyring

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    def issue(self, event_id: str, registration_id: str, revision: int) -> str:
        if not 0 <= revision <= MAX_REVISION:
            raise ValueError(f"revision must be 0..{MAX_REVISION}")
        key_id = self._keyring.active_key_id
        payload = bytes([key_id]) + registration_id_bytes(registration_id) + bytes([revision])
        signature = self._keyring.private_keys[key_id].sign(_signed_message(event_id, payload))
        return _b32(payload + signature)

    def manage(self, registration_id: str, revision: int) -> str:
        """The manage secret of the registration's ticket at `revision` (see the module's docstring)."""
        if not 0 <= revision <= MAX_REVISION:
            raise ValueError(f"revision must be 0..{MAX_REVISION}")
        key_id = self._keyring.active_key_id
        payload = bytes([key_id]) + registration_id_bytes(registration_id) + bytes([revision])
        key = self._keyring.manage_key(key_id)
        assert key is not None  # the active key is in the ring
        return _b32(payload + _tag(key, payload))

    def verify_manage(self, secret: str) -> TicketRef:
        """The reference a manage secret names. Raises InvalidTicket for anything else (a ticket secret too)."""
        payload, tag = _decode(secret, _TAG_BYTES)
        key = self._keyring.manage_key(payload[0])
        if key is None:
            raise InvalidTicket("unknown key")
        if not hmac.compare_digest(tag, _tag(key, payload)):
            raise InvalidTicket("bad tag")
        return _ref(payload)

    def knows_key(self, key_id: int) -> bool:
        return self._keyring.public_key(key_id) is not None

    def public_keys(self) -> list[dict[str, Any]]:
        """The keyring's verification keys, for the offline scanner bundle."""
        return self._keyring.public_keys()

    def verify(self, secret: str, event_id: str) -> TicketRef:
        """The ticket's reference. Raises InvalidTicket for anything Kapı did not sign for `event_id`."""
        from cryptography.exceptions import InvalidSignature

        payload, signature = _decode(secret)
        key = self._keyring.public_key(payload[0])
        if key is None:
            raise InvalidTicket("unknown key")
        try:
            key.verify(signature, _signed_message(event_id, payload))
        except InvalidSignature:
            raise InvalidTicket("bad signature") from None
        return _ref(payload)


def parse_unverified(secret: str, manage: bool = False) -> TicketRef:
    """Read a well-formed ticket secret (or, with `manage`, manage secret) without checking it.

    This lets a server find the registration, and through it the event, before it can verify.
    Never trust the result before `TicketSigner.verify` (or `verify_manage`) accepts the secret.
    """
    payload, _ = _decode(secret, _TAG_BYTES if manage else _SIGNATURE_BYTES)
    return _ref(payload)


def _tag(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _MANAGE_DOMAIN + payload, hashlib.sha256).digest()[:_TAG_BYTES]


def _signed_message(event_id: str, payload: bytes) -> bytes:
    return _DOMAIN + event_id.encode("utf-8") + b"\0" + payload


def _decode(secret: str, tail_bytes: int = _SIGNATURE_BYTES) -> tuple[bytes, bytes]:
    """Split a secret into payload and signature (or, for a manage secret, its tag of `tail_bytes`).

    Scanners and URLs may lower-case a secret or add whitespace around it; nothing else is
    accepted. The re-encoding check also rejects the variants that differ only in the last
    character's 2 unused bits. Without it, one ticket would have several secrets.
    """
    if not isinstance(secret, str):
        raise InvalidTicket("not text")
    text = secret.strip()
    if not text.isascii():  # str.upper() would turn a Turkish "ı" into "I"
        raise InvalidTicket("malformed")
    text = text.upper()
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error:
        raise InvalidTicket("malformed") from None
    if len(raw) != _PAYLOAD_BYTES + tail_bytes or _b32(raw) != text:
        raise InvalidTicket("malformed")
    return raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]


def _ref(payload: bytes) -> TicketRef:
    return TicketRef(
        key_id=payload[0],
        registration_id=registration_id_from_bytes(payload[1:-1]),
        revision=payload[-1],
    )


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
