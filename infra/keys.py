"""Create or rotate a stage's ticket signing keys, kept as an SSM SecureString.

    python -m infra.keys --stage dev              # the first key; refuses to replace existing keys
    python -m infra.keys --stage dev --rotate     # a new signing key; the old ones keep verifying

The parameter (KAPI_SIGNING_KEY_NAME of the stage in .chalice/config.json) holds the JSON document
that chalicelib/tickets/keys.py reads. Creating never overwrites: losing the keys would invalidate
every ticket already sent. Private keys are never printed.
"""
from __future__ import annotations

import argparse
import json
import sys

from chalicelib.tickets.keys import keyring_to_document, load_keyring_from_ssm
from chalicelib.tickets.secrets import Keyring
from infra.stages import load_stage


def create(client, name: str, kms_key_id: str | None = None) -> Keyring:
    """Store a fresh keyring; fails with ParameterAlreadyExists if the stage has keys."""
    keyring = Keyring.generate()
    _put(client, name, keyring, overwrite=False, kms_key_id=kms_key_id)
    return keyring


def rotate(client, name: str, kms_key_id: str | None = None) -> Keyring:
    """Add a key and make it the one that signs; tickets signed with the old keys stay valid."""
    keyring = load_keyring_from_ssm(name, client).rotated()
    _put(client, name, keyring, overwrite=True, kms_key_id=kms_key_id)
    return keyring


def _put(client, name: str, keyring: Keyring, overwrite: bool, kms_key_id: str | None) -> None:
    extra = {"KeyId": kms_key_id} if kms_key_id else {}
    client.put_parameter(Name=name, Value=json.dumps(keyring_to_document(keyring)), Type="SecureString",
                         Overwrite=overwrite, Description="Kapı ticket signing keys (Ed25519)", **extra)


def main(argv: list[str] | None = None, client=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.keys", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json")
    parser.add_argument("--rotate", action="store_true", help="add a new signing key to the existing ones")
    parser.add_argument("--kms-key-id", help="a customer managed KMS key (default: the account's aws/ssm key)")
    parser.add_argument("--region", help="AWS region (default: the environment's)")
    args = parser.parse_args(argv)
    name = load_stage(args.stage).signing_key_name
    if client is None:
        import boto3

        client = boto3.client("ssm", region_name=args.region)
    try:
        keyring = (rotate if args.rotate else create)(client, name, args.kms_key_id)
    except client.exceptions.ParameterAlreadyExists:
        print(f"{name} already holds signing keys; use --rotate to add one.", file=sys.stderr)
        return 1
    except client.exceptions.ParameterNotFound:
        print(f"{name} holds no signing keys yet; run without --rotate first.", file=sys.stderr)
        return 1
    key_ids = ", ".join(str(key_id) for key_id in sorted(keyring.private_keys))
    print(f"{name}: key {keyring.active_key_id} signs; keys {key_ids} verify.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
