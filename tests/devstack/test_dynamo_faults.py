"""The local DynamoDB server's fault mode and its BatchWriteItem validation, seen from boto3.

Each fault must reach a client as the error real DynamoDB sends, parsed by botocore into the same
code, message and cancellation reasons, so that code tested here behaves the same in AWS. Rates
are checked on a seeded server with sequential requests: the sequence of decisions is fixed, so
the counts are exact, not statistical.
"""

import http.client
import json
import socket
import threading
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.dynamo_process import DynamoProcess
from tests.devstack.test_dynamo_server import REGION, add_one, client, counter, create_table, key, reasons
from tests.waiting import poll


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with DynamoProcess(tmp_path_factory.mktemp("dynamo"), faults="seed=1") as dynamo:
        yield dynamo


@pytest.fixture
def dynamo(server):
    """The module's server with faults off again after each test."""
    yield server
    server.set_faults()


@pytest.fixture(scope="module")
def ddb(server):
    return client(server.endpoint)  # no retries: every injected error reaches the test


def outcomes(call, times):
    """The error code of each of ``times`` calls (None for a success)."""
    codes = []
    for _ in range(times):
        try:
            call()
            codes.append(None)
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])
    return codes


def test_faults_are_off_unless_asked_for(dynamo, ddb):
    table = create_table(ddb)
    assert dynamo.faults()["config"]["throttles"] == 0
    assert outcomes(lambda: ddb.put_item(TableName=table, Item=key("a", "1")), 50) == [None] * 50
    assert dynamo.faults()["injected"] == {}


def test_throttles_and_internal_errors_come_at_their_rates_in_dynamodbs_shape(dynamo, ddb):
    table = create_table(ddb)
    ddb.put_item(TableName=table, Item=key("a", "1"))
    dynamo.set_faults(throttles=0.2, errors=0.05, seed=3)
    seen = []

    def read():
        try:
            ddb.get_item(TableName=table, Key=key("a", "1"))
        except ClientError as error:
            seen.append(error.response)
            raise

    codes = outcomes(read, 1000)
    injected = dynamo.faults()["injected"]
    assert codes.count("ThrottlingException") == injected["throttling"]
    assert codes.count("InternalServerError") == injected["internal_error"]
    assert 150 <= injected["throttling"] <= 250 and 25 <= injected["internal_error"] <= 75
    statuses = {r["Error"]["Code"]: r["ResponseMetadata"]["HTTPStatusCode"] for r in seen}
    assert statuses == {"ThrottlingException": 400, "InternalServerError": 500}
    assert all(r["Error"]["Message"] for r in seen)


def test_botocore_standard_retries_absorb_throttles_and_internal_errors(dynamo):
    """Nothing to hand-roll for these two: botocore's standard mode retries both (4 attempts)."""
    retrying = boto3.client("dynamodb", endpoint_url=dynamo.endpoint, region_name="eu-central-1",
                            aws_access_key_id="local", aws_secret_access_key="local",
                            config=Config(retries={"mode": "standard", "total_max_attempts": 4}))
    table = create_table(retrying)
    dynamo.set_faults(throttles=0.05, errors=0.05, seed=4)
    for i in range(40):
        retrying.put_item(TableName=table, Item=key("r", str(i)))
    assert sum(dynamo.faults()["injected"].values()) > 0
    dynamo.set_faults()
    assert retrying.query(TableName=table, KeyConditionExpression="pk = :p", Select="COUNT",
                          ExpressionAttributeValues={":p": {"S": "r"}})["Count"] == 40


def test_random_transaction_conflicts_cancel_the_whole_transaction(dynamo, ddb):
    table = create_table(ddb)
    dynamo.set_faults(conflicts=0.3, seed=5)
    cancelled = []

    def transact(i):
        try:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": key("t", f"item{i}")}}, add_one(table, "t")])
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TransactionCanceledException"
            assert error.response["Error"]["Message"].startswith("Transaction cancelled")
            assert sorted(reasons(error)) == ["None", "TransactionConflict"]
            cancelled.append(i)

    for i in range(200):
        transact(i)
    assert len(cancelled) == dynamo.faults()["injected"]["transaction_conflict"]
    assert 40 <= len(cancelled) <= 80
    dynamo.set_faults()
    assert counter(ddb, table, "t") == 200 - len(cancelled)  # a cancelled one wrote nothing
    assert "Item" not in ddb.get_item(TableName=table, Key=key("t", f"item{cancelled[0]}"))


def test_a_transaction_in_flight_holds_its_items_against_other_writers(dynamo, ddb):
    table = create_table(ddb)
    ddb.put_item(TableName=table, Item={**key("h", "held"), "v": {"S": "before"}})
    dynamo.set_faults(transaction_ms=3000)
    first = threading.Thread(target=ddb.transact_write_items, kwargs={"TransactItems": [
        {"Put": {"TableName": table, "Item": {**key("h", "held"), "v": {"S": "after"}}}}]})
    first.start()
    assert poll(lambda: dynamo.faults()["in_flight"], bool, timeout=30, interval=0.01) == 1

    with pytest.raises(ClientError) as overlapping:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": key("h", "other")}},
            {"ConditionCheck": {"TableName": table, "Key": key("h", "held"),
                                "ConditionExpression": "attribute_exists(pk)"}}])
    assert reasons(overlapping.value) == ["None", "TransactionConflict"]
    with pytest.raises(ClientError) as single:
        ddb.put_item(TableName=table, Item=key("h", "held"))
    assert single.value.response["Error"]["Code"] == "TransactionConflictException"
    assert ddb.get_item(TableName=table, Key=key("h", "held"))["Item"]["v"]["S"] == "before"
    ddb.put_item(TableName=table, Item=key("h", "free"))  # other items are not held

    first.join()
    assert ddb.get_item(TableName=table, Key=key("h", "held"))["Item"]["v"]["S"] == "after"
    assert dynamo.faults()["in_flight"] == 0
    assert "Item" not in ddb.get_item(TableName=table, Key=key("h", "other"))


def test_an_item_written_past_its_write_rate_is_throttled_and_others_are_not(dynamo, ddb):
    table = create_table(ddb)
    dynamo.set_faults(item_writes_per_second=0.01)  # a bucket of 2 units, refilled in 200 s
    codes = outcomes(lambda: ddb.put_item(TableName=table, Item=key("hot", "1")), 3)
    assert codes == [None, None, "ProvisionedThroughputExceededException"]
    with pytest.raises(ClientError) as throttled:
        ddb.put_item(TableName=table, Item=key("hot", "1"))
    assert throttled.value.response["ThrottlingReasons"][0]["reason"] == "TableWriteKeyRangeThroughputExceeded"
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": key("cold", "1")}},
            {"Put": {"TableName": table, "Item": key("hot", "1")}}])
    assert reasons(cancelled.value) == ["None", "ThrottlingError"]
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": key("cold", "2")}}])
    assert ddb.get_item(TableName=table, Key=key("hot", "1"))["Item"]  # reads are not limited


def test_index_queries_lag_behind_the_table(dynamo, ddb):
    table = create_table(ddb, gsi=True)
    group = uuid.uuid4().hex

    def indexed():
        return [i["v"]["S"] for i in ddb.query(
            TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
            ExpressionAttributeValues={":g": {"S": group}})["Items"]]

    ddb.put_item(TableName=table, Item={**key("x", "1"), "gsi1pk": {"S": group}, "v": {"S": "old"}})
    ddb.put_item(TableName=table, Item={**key("x", "3"), "gsi1pk": {"S": group}, "v": {"S": "leaving"}})
    assert indexed() == ["old", "leaving"]
    dynamo.set_faults(index_lag_ms=5000)
    ddb.put_item(TableName=table, Item={**key("x", "2"), "gsi1pk": {"S": group}, "v": {"S": "new"}})
    ddb.update_item(TableName=table, Key=key("x", "1"), UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"S": "changed"}})
    ddb.update_item(TableName=table, Key=key("x", "3"), UpdateExpression="REMOVE gsi1pk")
    # the new item is not there yet, the changed one is as it was, the one that left is still there
    assert indexed() == ["old", "leaving"]
    assert ddb.get_item(TableName=table, Key=key("x", "2"))["Item"]["v"]["S"] == "new"
    assert ddb.get_item(TableName=table, Key=key("x", "1"))["Item"]["v"]["S"] == "changed"
    assert poll(indexed, lambda names: names == ["changed", "new"], timeout=60) == ["changed", "new"]


def test_fault_settings_are_checked(dynamo, tmp_path):
    request = urllib.request.Request(dynamo.endpoint + "/_kapi/faults", method="PUT",
                                     data=json.dumps({"throttles": 2}).encode())
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 400 and b"throttles" in refused.value.read()
    with pytest.raises(RuntimeError):
        DynamoProcess(tmp_path, faults="throttle=0.1").start()  # misspelt: the server does not start


def test_the_environment_turns_fault_mode_on(tmp_path, monkeypatch):
    monkeypatch.setenv("KAPI_DYNAMO_FAULTS", "errors=1")
    with DynamoProcess(tmp_path) as dynamo:
        ddb = client(dynamo.endpoint)
        assert dynamo.faults()["config"]["errors"] == 1
        assert outcomes(lambda: ddb.list_tables(), 1) == [None]  # table management is never disturbed
        assert outcomes(lambda: ddb.get_item(TableName="none", Key=key("a", "1")), 2) == ["InternalServerError"] * 2


# -- BatchWriteItem is all or nothing, whatever the fault mode --------------------------------

def test_a_refused_batch_write_writes_none_of_its_items(dynamo, ddb):
    table = create_table(ddb)
    with pytest.raises(ClientError) as missing_key:
        ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": key("b", "good")}},
            {"PutRequest": {"Item": {"pk": {"S": "b"}}}}]})  # no sort key
    assert missing_key.value.response["Error"]["Code"] == "ValidationException"
    ddb.put_item(TableName=table, Item=key("b", "kept"))
    with pytest.raises(ClientError) as wrong_type:
        ddb.batch_write_item(RequestItems={table: [
            {"DeleteRequest": {"Key": key("b", "kept")}},
            {"PutRequest": {"Item": key("b", "good")}},
            {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}]})
    assert wrong_type.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in ddb.get_item(TableName=table, Key=key("b", "good"))
    assert "Item" in ddb.get_item(TableName=table, Key=key("b", "kept"))


def dynamodb_request(operation, body):
    """A DynamoDB call as raw HTTP: what boto3 sends, minus a real signature (the server ignores it)."""
    data = json.dumps(body).encode()
    return ("POST", "/", data, {
        "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20000101/{REGION}/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})


def test_one_connection_carries_on_after_answers_that_ignore_the_request_body(dynamo, ddb):
    """Keep-alive: an answer given without reading the body (an injected fault, a refused call to
    the faults or SES endpoints) must not leave that body to be read as the next request."""
    table = create_table(ddb)
    put = dynamodb_request("PutItem", {"TableName": table, "Item": key("k", "1")})
    port = int(dynamo.endpoint.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(method, path, body, headers=None):
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.getheader("Connection"), json.loads(answer.read())

    assert send("POST", "/_kapi/faults", b'{"throttles": 1}')[:2] == (405, None)
    first_socket = connection.sock
    assert send("GET", "/_kapi/ses/messages", b'{"ignored": true}')[:2] == (200, None)
    assert send("PUT", "/_kapi/faults", b'{"throttles": 1, "seed": 5}')[:2] == (200, None)
    status, close, error = send(*put)
    assert (status, close, error["__type"].rsplit("#")[-1]) == (400, None, "ThrottlingException")
    assert send("PUT", "/_kapi/faults", b"{}")[:2] == (200, None)
    assert send(*put)[:2] == (200, None)
    assert connection.sock is first_socket  # never closed and reopened in between
    connection.close()
    assert ddb.get_item(TableName=table, Key=key("k", "1"))["Item"] == key("k", "1")


def test_pipelined_requests_are_each_answered_in_order(dynamo, ddb):
    table = create_table(ddb)
    raw = b""
    for i in range(3):
        method, path, data, headers = dynamodb_request("PutItem", {"TableName": table, "Item": key("p", str(i))})
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(data)}",
                 *(f"{name}: {value}" for name, value in headers.items())]
        raw += ("\r\n".join(lines) + "\r\n\r\n").encode() + data
    port = int(dynamo.endpoint.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock, sock.makefile("rb") as answers:
        sock.sendall(raw)  # all three before reading any answer
        statuses = []
        for _ in range(3):
            statuses.append(int(answers.readline().split()[1]))
            headers = dict(line.decode().strip().lower().split(": ", 1)
                           for line in iter(answers.readline, b"\r\n"))
            json.loads(answers.read(int(headers["content-length"])))
    assert statuses == [200, 200, 200]
    assert ddb.query(TableName=table, KeyConditionExpression="pk = :p", Select="COUNT",
                     ExpressionAttributeValues={":p": {"S": "p"}})["Count"] == 3
