"""Where the ticket signing keys come from: the local data directory, SSM Parameter Store or
Secrets Manager.

All three hold the same JSON document:

    {"active": 2, "keys": {"1": "<base64 private key>", "2": "<base64 private key>"}}

Each key is standard base64 of either the raw 32-byte Ed25519 private key or its PKCS#8 DER
encoding (`openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`). Rotating adds a key
and makes it the active one. The old keys stay, so tickets already sent keep verifying until
an operator removes them.

Error messages never quote the document: it holds private keys.
"""
from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from chalicelib.common.atomicfile import write_atomic
from chalicelib.tickets.secrets import Keyring

KEY_FILE_NAME = "signing-keys.json"


def keyring_from_document(document: dict[str, Any]) -> Keyring:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    try:
        encoded_keys = document["keys"]
        active = int(document["active"])
        keys = {}
        for key_id, encoded in encoded_keys.items():
            raw = base64.b64decode(encoded, validate=True)
            key = Ed25519PrivateKey.from_private_bytes(raw) if len(raw) == 32 else load_der_private_key(raw, None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("not an Ed25519 key")
            keys[int(key_id)] = key
    except (KeyError, TypeError, AttributeError, binascii.Error, ValueError):
        raise ValueError("malformed signing key document") from None
    return Keyring(keys, active)


def keyring_to_document(keyring: Keyring) -> dict[str, Any]:
    return {
        "active": keyring.active_key_id,
        "keys": {
            str(key_id): base64.b64encode(key.private_bytes_raw()).decode("ascii")
            for key_id, key in sorted(keyring.private_keys.items())
        },
    }


def load_keyring_from_dir(data_dir: str | Path) -> Keyring:
    """The local run's keys. The first start generates and stores a key.

    If two processes start at once, both keep the key that was written first.
    """
    path = Path(data_dir) / KEY_FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _dump(Keyring.generate()), overwrite=False)
    return keyring_from_document(_parse(path.read_text(encoding="utf-8")))


def rotate_key(data_dir: str | Path) -> Keyring:
    """Make a new key active in the data directory. The old keys keep verifying."""
    keyring = load_keyring_from_dir(data_dir).rotated()
    write_atomic(Path(data_dir) / KEY_FILE_NAME, _dump(keyring))
    return keyring


def load_keyring_from_ssm(parameter_name: str, client: Any) -> Keyring:
    """Read a SecureString parameter. `client` is a boto3 SSM client."""
    response = client.get_parameter(Name=parameter_name, WithDecryption=True)
    return keyring_from_document(_parse(response["Parameter"]["Value"]))


def load_keyring_from_secrets_manager(secret_id: str, client: Any) -> Keyring:
    """Read a secret's SecretString. `client` is a boto3 Secrets Manager client."""
    response = client.get_secret_value(SecretId=secret_id)
    return keyring_from_document(_parse(response["SecretString"]))


def _parse(text: str) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(text)
        return document
    except ValueError:
        raise ValueError("malformed signing key document") from None


def _dump(keyring: Keyring) -> bytes:
    return json.dumps(keyring_to_document(keyring), indent=2).encode("utf-8") + b"\n"
