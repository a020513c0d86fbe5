"""The signing-key CLI against a stubbed SSM: what it stores, and what it refuses to overwrite."""
import json
from dataclasses import dataclass, field

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.common.ids import new_registration_id
from chalicelib.tickets.keys import keyring_from_document, keyring_to_document
from chalicelib.tickets.secrets import Keyring, TicketSigner
from infra import keys

NAME = "/kapi/dev/signing-keys"


@dataclass
class StubbedSsm:
    client: object
    stubber: Stubber
    stored: list = field(default_factory=list)  # the documents sent to put_parameter; the stub keeps none


@pytest.fixture
def ssm():
    client = boto3.client("ssm", region_name="eu-central-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stubber:
        stub = StubbedSsm(client, stubber)
        client.meta.events.register("provide-client-params.ssm.PutParameter",
                                    lambda params, **_: stub.stored.append(json.loads(params["Value"])))
        yield stub
    stubber.assert_no_pending_responses()


def _expect_put(ssm, overwrite):
    ssm.stubber.add_response("put_parameter", {"Version": 1}, {
        "Name": NAME, "Value": ANY, "Type": "SecureString", "Overwrite": overwrite, "Description": ANY})


def test_creating_stores_one_ed25519_key_as_a_secure_string_without_overwriting(ssm, capsys):
    _expect_put(ssm, overwrite=False)

    assert keys.main(["--stage", "dev"], client=ssm.client) == 0

    [document] = ssm.stored
    assert keyring_from_document(document).active_key_id == 1
    assert list(document["keys"]) == ["1"]
    out = capsys.readouterr().out
    assert out == f"{NAME}: key 1 signs; keys 1 verify.\n"
    assert document["keys"]["1"] not in out


def test_creating_when_the_stage_has_keys_changes_nothing_and_says_to_rotate(ssm, capsys):
    ssm.stubber.add_client_error("put_parameter", "ParameterAlreadyExists")

    assert keys.main(["--stage", "dev"], client=ssm.client) == 1
    assert "--rotate" in capsys.readouterr().err


def test_rotating_adds_a_signing_key_and_keeps_tickets_signed_with_the_old_one_valid(ssm):
    old = Keyring.generate()
    old_ticket = TicketSigner(old).issue("izmir-baku-40", new_registration_id(), 0)
    ssm.stubber.add_response("get_parameter", {"Parameter": {
        "Name": NAME, "Type": "SecureString", "Value": json.dumps(keyring_to_document(old))}},
        {"Name": NAME, "WithDecryption": True})
    _expect_put(ssm, overwrite=True)

    assert keys.main(["--stage", "dev", "--rotate"], client=ssm.client) == 0

    [document] = ssm.stored
    rotated = keyring_from_document(document)
    assert rotated.active_key_id == 2
    assert document["keys"]["1"] == keyring_to_document(old)["keys"]["1"]
    assert TicketSigner(rotated).verify(old_ticket, "izmir-baku-40").key_id == 1


def test_rotating_a_stage_without_keys_says_to_create_them_first(ssm, capsys):
    ssm.stubber.add_client_error("get_parameter", "ParameterNotFound")

    assert keys.main(["--stage", "dev", "--rotate"], client=ssm.client) == 1
    assert "without --rotate" in capsys.readouterr().err


def test_a_customer_managed_kms_key_is_passed_on(ssm):
    ssm.stubber.add_response("put_parameter", {"Version": 1}, {
        "Name": NAME, "Value": ANY, "Type": "SecureString", "Overwrite": False, "Description": ANY,
        "KeyId": "alias/kapi"})

    assert keys.main(["--stage", "dev", "--kms-key-id", "alias/kapi"], client=ssm.client) == 0
