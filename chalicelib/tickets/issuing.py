"""The process's ticket signer, from configuration, and the secret of a registration's current ticket.

Locally the keys live in KAPI_DATA_DIR (made on first use); in AWS they are read once per Lambda
instance from SSM Parameter Store or Secrets Manager (KAPI_SIGNING_KEY_SOURCE = ssm | secretsmanager,
named by KAPI_SIGNING_KEY_NAME).
"""
from __future__ import annotations

import functools

from chalicelib.config import settings
from chalicelib.tickets.secrets import TicketSigner


@functools.lru_cache(maxsize=1)
def signer() -> TicketSigner:
    from chalicelib.tickets import keys

    cfg = settings()
    if cfg.signing_key_source == "ssm":
        import boto3

        keyring = keys.load_keyring_from_ssm(cfg.signing_key_name, boto3.client("ssm", region_name=cfg.region))
    elif cfg.signing_key_source == "secretsmanager":
        import boto3

        keyring = keys.load_keyring_from_secrets_manager(
            cfg.signing_key_name, boto3.client("secretsmanager", region_name=cfg.region))
    else:
        keyring = keys.load_keyring_from_dir(cfg.data_dir)
    return TicketSigner(keyring)


def secret_for(registration) -> str:
    """The secret of the registration's current ticket; a reissue bumps `revision` and revokes this one."""
    return signer().issue(registration.event_id, registration.id, int(registration.revision))
