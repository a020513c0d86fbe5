"""The packaged template's data resources, created by CloudFormation (moto's server), serve the models.

The tables, indexes, stream and queue of `infra/template.py` are created as a stack; then every
pynamodb model puts, gets and queries (each index too) against them in a separate process configured
as the dev stage. The template and the models cannot drift apart without this failing.
"""
import json
import os
import subprocess
import sys

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chalicelib.storage.models import ALL_MODELS
from chalicelib.storage.tables import short_name
from infra import template
from infra.stages import PROJECT_DIR, load_stage

DATA_TYPES = ("AWS::DynamoDB::Table", "AWS::SQS::Queue")


@pytest.fixture(scope="module")
def stack():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    stage = load_stage("dev")
    built = template.build(stage)
    body = {"Resources": {name: resource for name, resource in built["Resources"].items()
                          if resource.get("Type") in DATA_TYPES}}
    client = lambda service: boto3.client(service, endpoint_url=endpoint, region_name="eu-central-1",  # noqa: E731
                                          aws_access_key_id="local", aws_secret_access_key="local")
    client("cloudformation").create_stack(StackName="kapi-dev", TemplateBody=json.dumps(body))
    yield endpoint, client, stage
    server.stop()


def test_the_stack_creates_every_table_with_its_indexes_and_stream_and_the_queue(stack):
    _, client, stage = stack
    dynamodb = client("dynamodb")
    names = dynamodb.list_tables()["TableNames"]
    assert sorted(names) == sorted(stage.table_prefix + short_name(model) for model in ALL_MODELS)
    outbox = dynamodb.describe_table(TableName=f"{stage.table_prefix}outbox")["Table"]
    assert outbox["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert {i["IndexName"] for i in outbox["GlobalSecondaryIndexes"]} == {"by_due"}
    # (moto's CloudFormation does not apply TimeToLiveSpecification; test_template.py checks the template's.)
    assert client("sqs").get_queue_url(QueueName=template.dead_letter_queue_name(stage))["QueueUrl"]


def test_every_model_puts_gets_and_queries_against_the_stacks_tables(stack):
    endpoint, _, stage = stack
    env = {**os.environ, "KAPI_TABLE_PREFIX": stage.table_prefix, "KAPI_STAGE": "dev",
           "AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    result = subprocess.run([sys.executable, "-m", "tests.infra.model_roundtrip"], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(ALL_MODELS)
