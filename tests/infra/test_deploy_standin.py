"""`make deploy` against the AWS stand-in (devstack/aws_standin.py: moto's server with CloudFormation's
SAM transform and rollback): the first deploy's admin token signs in to the stage it deployed, and
reruns, a failed first deploy, stack parameters and `make destroy` need no hand repair (SPEC §12)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import requests

from chalicelib.access import auth
from chalicelib.common.errors import Unauthorized
from chalicelib.storage.tables import Tables
from devstack import aws_standin
from infra import deploy
from infra.stages import PROJECT_DIR, load_stage

VENV = Path(sys.executable).parent.parent
REGION = "eu-central-1"
TOKEN = re.compile(r"first admin token \(shown once, keep it safe\): (\S+)")


@pytest.fixture(scope="module")
def standin():
    server, endpoint = aws_standin.start()
    yield endpoint
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)  # moto's state is this process's, shared by tests
    server.stop()


def _aws_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    return {**env, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION, "KAPI_DEPLOY_POLL_SECONDS": "1"}


@pytest.fixture(scope="module")
def made(standin, tmp_path_factory):
    """`make deploy STAGE=dev` (packaging included) against a fresh stand-in."""
    requests.post(f"{standin}/moto-api/reset", timeout=10)
    build = tmp_path_factory.mktemp("build")
    result = subprocess.run(["make", "-s", "-o", f"{VENV}/.installed", "deploy", f"VENV={VENV}", "STAGE=dev",
                             f"BUILD={build}"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900,
                            env=_aws_env(standin))
    return result, build / "dev"


@pytest.fixture
def aws(standin, monkeypatch):
    """This process's AWS clients (boto3 and pynamodb) aimed at the stand-in."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    for name, value in _aws_env(standin).items():
        monkeypatch.setenv(name, value)
    return standin


def _fresh(endpoint: str) -> None:
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)


def _deploy(build: Path, *args: str, capsys) -> tuple[int, str]:
    code = deploy.main(["--stage", "dev", "--build", str(build), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def _parameters(stack: str) -> dict[str, str]:
    [described] = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}


def test_make_deploy_prints_an_admin_token_that_signs_in_to_the_deployed_stage(made, aws):
    result, _ = made
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "stack kapi-dev created" in result.stdout
    [token] = TOKEN.findall(result.stdout)

    deployed = Tables(load_stage("dev").table_prefix, REGION)

    assert auth.authenticate(deployed, f"Bearer {token}").role == "admin"
    with pytest.raises(Unauthorized):
        auth.authenticate(deployed, f"Bearer {token[:-2]}xx")
    # The checklist of what only the account's owner can do, asked of the account.
    assert "first-time checklist" in result.stdout
    assert "Lambda concurrency" in result.stdout and "SES production access" in result.stdout
    assert "SenderDkimRecord" in result.stdout


def test_a_rerun_without_changes_reports_no_change_and_a_parameter_left_out_keeps_its_value(made, aws, capsys):
    _fresh(aws)
    _, build = made
    assert _deploy(build, capsys=capsys)[0] == 0
    topic = f"arn:aws:sns:{REGION}:123456789012:kapi-alarms"

    code, out = _deploy(build, "--alarm-topic-arn", topic, "--sender-domain", "bilet.izmir.bel.tr", capsys=capsys)
    assert code == 0, out
    assert "stack kapi-dev updated" in out

    for _ in range(2):  # no collision with the name of the last change set, and nothing detached
        code, out = _deploy(build, capsys=capsys)
        assert code == 0, out
        assert "no change: stack kapi-dev is up to date" in out
        assert _parameters("kapi-dev") == {"AlarmTopicArn": topic, "SenderDomain": "bilet.izmir.bel.tr"}

    code, out = _deploy(build, "--parameter", "AlarmTopicArn=", capsys=capsys)
    assert code == 0, out
    assert _parameters("kapi-dev") == {"AlarmTopicArn": "", "SenderDomain": "bilet.izmir.bel.tr"}


def test_a_failed_first_deploy_is_rolled_back_and_the_next_one_creates_the_stack(made, aws, capsys):
    _fresh(aws)
    _, build = made
    logs = boto3.client("logs")
    # The stack creates the functions' log groups and fails when one exists (infra/README.md).
    logs.create_log_group(logGroupName="/aws/lambda/kapi-dev-api_handler")

    code, out = _deploy(build, capsys=capsys)

    assert code == 1
    assert "kapi-dev is ROLLBACK_COMPLETE after a failed create" in out
    assert "the next `make deploy` deletes it and creates it again" in out
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []  # rolled back

    logs.delete_log_group(logGroupName="/aws/lambda/kapi-dev-api_handler")
    code, out = _deploy(build, capsys=capsys)

    assert code == 0, out
    assert "deleting it to create it again" in out and "stack kapi-dev created" in out
    [token] = TOKEN.findall(out)
    assert auth.authenticate(Tables("kapi-dev-", REGION), f"Bearer {token}").role == "admin"


def test_destroy_deletes_the_stack_and_its_tables_on_dev(made, aws, capsys):
    _fresh(aws)
    _, build = made
    assert _deploy(build, capsys=capsys)[0] == 0

    assert deploy.main(["--stage", "dev", "--destroy"]) == 0

    assert "stack kapi-dev deleted" in capsys.readouterr().out
    assert not boto3.client("cloudformation").describe_stacks()["Stacks"]
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    assert deploy.main(["--stage", "dev", "--destroy"]) == 0  # nothing left: says so
    assert "nothing to delete" in capsys.readouterr().out


def _table_stack(retain: bool) -> str:
    table = {"Type": "AWS::DynamoDB::Table", "Properties": {
        "TableName": "kapi-prod-registrations", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}
    if retain:
        table["DeletionPolicy"] = table["UpdateReplacePolicy"] = "Retain"
    return json.dumps({"Resources": {"RegistrationTable": table,
                                     "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}}}})


def test_destroy_on_prod_keeps_the_data_tables_and_refuses_a_stack_whose_tables_would_go(aws, capsys):
    _fresh(aws)
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(StackName="kapi-prod", TemplateBody=_table_stack(retain=False))

    assert deploy.main(["--stage", "prod", "--destroy"]) == 1
    assert "without DeletionPolicy Retain" in capsys.readouterr().err
    assert cloudformation.describe_stacks(StackName="kapi-prod")["Stacks"]

    cloudformation.delete_stack(StackName="kapi-prod")
    cloudformation.create_stack(StackName="kapi-prod", TemplateBody=_table_stack(retain=True))

    assert deploy.main(["--stage", "prod", "--destroy"]) == 0

    assert "tables kept" in capsys.readouterr().out
    assert boto3.client("dynamodb").list_tables()["TableNames"] == ["kapi-prod-registrations"]
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []


def test_the_committed_prod_template_retains_every_table():
    from infra import template

    built = template.build(load_stage("prod"))["Resources"]
    tables = [r for r in built.values() if r.get("Type") == "AWS::DynamoDB::Table"]
    assert tables and all(r["DeletionPolicy"] == "RetainExceptOnCreate" for r in tables)


def test_example_values_are_let_through_only_for_moto_on_this_machine(standin):
    assert deploy.is_standin(standin)
    assert not deploy.is_standin("http://127.0.0.1:9")  # nothing there
    assert not deploy.is_standin(f"https://cloudformation.{REGION}.amazonaws.com")
    assert not deploy.is_standin("")
