"""The process's ticket signer, from configuration, and the two secrets of a registration's current
ticket: the ticket secret (the QR code) and the manage secret (the ticket page's link); see `secrets`.

Locally the keys live in KAPI_DATA_DIR (made on first use); in AWS they are read once per Lambda
instance from SSM Parameter Store or Secrets Manager (KAPI_SIGNING_KEY_SOURCE = ssm | secretsmanager,
named by KAPI_SIGNING_KEY_NAME).
"""
from __future__ import annotations

import functools
import threading
import time
from typing import TYPE_CHECKING

from chalicelib.common.config import settings
from chalicelib.tickets.secrets import InvalidTicket, Keyring, TicketRef, TicketSigner, parse_unverified

if TYPE_CHECKING:
    from chalicelib.storage.models import Registration

RELOAD_INTERVAL_SECONDS = 60
_reload_lock = threading.Lock()
_last_reload = 0.0


@functools.lru_cache(maxsize=1)
def signer() -> TicketSigner:
    return TicketSigner(keyring())


def held_keyring() -> Keyring:
    """The keys this process holds: the signer's, read once per process (a Lambda instance's cold
    start), so that the client address secret costs no second SSM call."""
    return signer().keyring


def keyring() -> Keyring:
    """The deployment's signing keys, read from where configuration says (each call reads again)."""
    from chalicelib.tickets import keys

    cfg = settings()
    if cfg.signing_key_source == "ssm":
        import boto3

        return keys.load_keyring_from_ssm(cfg.signing_key_name, boto3.client("ssm", region_name=cfg.region))
    if cfg.signing_key_source == "secretsmanager":
        import boto3

        return keys.load_keyring_from_secrets_manager(
            cfg.signing_key_name, boto3.client("secretsmanager", region_name=cfg.region))
    return keys.load_keyring_from_dir(cfg.data_dir)


def secret_for(registration: Registration) -> str:
    """The secret of the registration's current ticket; a reissue bumps `revision` and revokes this one."""
    return signer().issue(registration.event_id, registration.id, int(registration.revision))


def manage_secret_for(registration: Registration) -> str:
    """The manage secret of the registration's current ticket: it opens the ticket page and cancels."""
    return signer().manage(registration.id, int(registration.revision))


def verify(secret: str, event_id: str) -> TicketRef:
    """Verify a ticket secret with this process's keyring; a key id it does not know reloads the keyring first.

    After a rotation, warm Lambda instances still hold the old ring and would call every new ticket
    forged. Reloading on an unknown key id (at most once a minute, so forged key ids cannot hammer
    SSM) lets them pick the new key up without a redeploy.
    """
    try:
        return signer().verify(secret, event_id)
    except InvalidTicket:
        if not _reloaded_for(parse_unverified(secret).key_id):
            raise
        return signer().verify(secret, event_id)


def verify_manage(secret: str) -> TicketRef:
    """Verify a manage secret from the secret alone (nothing is read), reloading on an unknown key id."""
    try:
        return signer().verify_manage(secret)
    except InvalidTicket:
        if not _reloaded_for(parse_unverified(secret, manage=True).key_id):
            raise
        return signer().verify_manage(secret)


def _reloaded_for(key_id: int) -> bool:
    """Drop the cached signer when `key_id` is unknown to it and no reload happened this last minute."""
    global _last_reload
    with _reload_lock:
        if signer().knows_key(key_id) or time.monotonic() - _last_reload < RELOAD_INTERVAL_SECONDS:
            return False
        _last_reload = time.monotonic()
        signer.cache_clear()
        return True
