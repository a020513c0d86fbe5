import base64
import json
import stat
import threading

import boto3
import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives import serialization

from chalicelib.tickets.keys import (
    KEY_FILE_NAME,
    keyring_from_document,
    keyring_to_document,
    load_keyring_from_dir,
    load_keyring_from_secrets_manager,
    load_keyring_from_ssm,
    rotate_key,
)
from chalicelib.tickets.secrets import InvalidTicket, Keyring, TicketSigner


def _client(service):
    return boto3.client(service, region_name="eu-central-1", aws_access_key_id="test", aws_secret_access_key="test")


def test_the_first_start_generates_a_private_key_file_and_later_starts_reuse_it(tmp_path, event_id, registration_id):
    data_dir = tmp_path / "kapi-data"

    first = load_keyring_from_dir(data_dir)
    secret = TicketSigner(first).issue(event_id, registration_id, 0)
    second = load_keyring_from_dir(data_dir)

    assert TicketSigner(second).verify(secret, event_id).registration_id == registration_id
    path = data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE_NAME]  # no temporary file left behind


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    keyrings = []
    threads = [threading.Thread(target=lambda: keyrings.append(load_keyring_from_dir(tmp_path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({json.dumps(k.public_keys()) for k in keyrings}) == 1
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]


def test_rotating_keeps_old_tickets_valid_and_signs_new_ones_with_the_new_key(tmp_path, event_id, registration_id):
    old_secret = TicketSigner(load_keyring_from_dir(tmp_path)).issue(event_id, registration_id, 0)

    rotated = rotate_key(tmp_path)
    reloaded = load_keyring_from_dir(tmp_path)

    assert reloaded.active_key_id == rotated.active_key_id == 2
    assert [k["key_id"] for k in reloaded.public_keys()] == [1, 2]
    signer = TicketSigner(reloaded)
    assert signer.verify(old_secret, event_id).key_id == 1
    assert signer.verify(signer.issue(event_id, registration_id, 1), event_id).key_id == 2


def test_a_document_may_hold_raw_or_pkcs8_keys(keyring, event_id, registration_id):
    document = keyring_to_document(keyring)
    key_id = str(keyring.active_key_id)
    pkcs8 = keyring.private_keys[keyring.active_key_id].private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    as_pkcs8 = {"active": keyring.active_key_id, "keys": {key_id: base64.b64encode(pkcs8).decode()}}
    secret = TicketSigner(keyring).issue(event_id, registration_id, 0)

    for doc in (document, as_pkcs8):
        assert TicketSigner(keyring_from_document(doc)).verify(secret, event_id).registration_id == registration_id


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"active": 1},
        {"active": 1, "keys": {"1": "not base64!"}},
        {"active": 1, "keys": {"1": base64.b64encode(b"too short").decode()}},
        {"active": 1, "keys": ["list"]},
    ],
)
def test_a_malformed_document_is_refused_without_quoting_it(document):
    with pytest.raises(ValueError) as raised:
        keyring_from_document(document)
    assert str(raised.value) == "malformed signing key document"


def test_the_keys_load_from_an_ssm_secure_string(keyring, event_id, registration_id):
    client = _client("ssm")
    value = json.dumps(keyring_to_document(keyring))
    with Stubber(client) as stub:
        stub.add_response(
            "get_parameter",
            {"Parameter": {"Name": "/kapi/prod/signing-keys", "Type": "SecureString", "Value": value, "Version": 3}},
            {"Name": "/kapi/prod/signing-keys", "WithDecryption": True},
        )
        loaded = load_keyring_from_ssm("/kapi/prod/signing-keys", client)
        stub.assert_no_pending_responses()

    secret = TicketSigner(keyring).issue(event_id, registration_id, 0)
    assert TicketSigner(loaded).verify(secret, event_id).registration_id == registration_id


def test_a_missing_ssm_parameter_is_an_error_at_start(keyring):
    client = _client("ssm")
    with Stubber(client) as stub:
        stub.add_client_error("get_parameter", service_error_code="ParameterNotFound", http_status_code=400)
        with pytest.raises(client.exceptions.ParameterNotFound):
            load_keyring_from_ssm("/kapi/prod/signing-keys", client)


def test_the_keys_load_from_secrets_manager(keyring, event_id, registration_id):
    client = _client("secretsmanager")
    rotated = keyring.rotated()
    with Stubber(client) as stub:
        stub.add_response(
            "get_secret_value",
            {"Name": "kapi/prod/signing-keys", "SecretString": json.dumps(keyring_to_document(rotated))},
            {"SecretId": "kapi/prod/signing-keys"},
        )
        loaded = load_keyring_from_secrets_manager("kapi/prod/signing-keys", client)

    assert loaded.active_key_id == rotated.active_key_id
    old_secret = TicketSigner(keyring).issue(event_id, registration_id, 0)
    assert TicketSigner(loaded).verify(old_secret, event_id).key_id == keyring.active_key_id
    with pytest.raises(InvalidTicket):
        TicketSigner(Keyring.generate()).verify(old_secret, event_id)
