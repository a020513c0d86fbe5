"""The local DynamoDB server (devstack.dynamo_server), tested as a client sees it:
a separate process reached over HTTP with boto3.

Each test names the requirement it proves: serving DynamoDB and SES, atomic
concurrent transactions, transactions costing O(items touched), bounded memory and
TTL expiry, durability across kill -9 and restarts, reading SES mail back, and
logging nothing but errors.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.mime.text import MIMEText
from statistics import median

import boto3
import psutil
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.dynamo_process import DynamoProcess
from tests.waiting import poll

REGION = "eu-central-1"
OPERATIONS = 1000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def client(endpoint, service="dynamodb", checked=True):
    """`checked=False`: botocore sends what its own parameter checks would have refused.
    No retries: a retried request could hide a lost or doubled write."""
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(max_pool_connections=64, retries={"total_max_attempts": 1},
                                      parameter_validation=checked))


def create_table(ddb, name=None, gsi=False):
    name = name or f"t-{uuid.uuid4().hex[:8]}"
    attributes = [{"AttributeName": "pk", "AttributeType": "S"},
                  {"AttributeName": "sk", "AttributeType": "S"}]
    extra = {}
    if gsi:
        attributes.append({"AttributeName": "gsi1pk", "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [{
            "IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}]}]
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=attributes,
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}], **extra)
    return name


def key(pk, sk):
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def count(ddb, table, pk, prefix=None):
    condition, values = "pk = :p", {":p": {"S": pk}}
    if prefix:
        condition, values[":s"] = condition + " AND begins_with(sk, :s)", {"S": prefix}
    return ddb.query(TableName=table, Select="COUNT", KeyConditionExpression=condition,
                     ExpressionAttributeValues=values)["Count"]


def counter(ddb, table, pk, sk="counter"):
    item = ddb.get_item(TableName=table, Key=key(pk, sk), ConsistentRead=True).get("Item")
    return int(item["n"]["N"]) if item else 0


def add_one(table, pk, sk="counter", cap=None):
    """The Update element of a transaction: counter ADD 1, optionally only below ``cap``."""
    update = {"TableName": table, "Key": key(pk, sk), "UpdateExpression": "ADD #n :one",
              "ExpressionAttributeNames": {"#n": "n"},
              "ExpressionAttributeValues": {":one": {"N": "1"}}}
    if cap is not None:
        update["ConditionExpression"] = "attribute_not_exists(#n) OR #n < :cap"
        update["ExpressionAttributeValues"][":cap"] = {"N": str(cap)}
    return {"Update": update}


def reasons(error):
    return [r["Code"] for r in error.response["CancellationReasons"]]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with DynamoProcess(tmp_path_factory.mktemp("dynamo")) as dynamo:
        yield dynamo


@pytest.fixture(scope="module")
def ddb(server):
    return client(server.endpoint)


# -- 1 and 6: DynamoDB and SES in one process; sent mail can be read back ----------

def test_serves_dynamodb_and_ses_and_gives_sent_mail_back(server, ddb):
    table = create_table(ddb)
    ddb.put_item(TableName=table, Item={**key("a", "1"), "name": {"S": "Gülnarə"}})
    assert ddb.get_item(TableName=table, Key=key("a", "1"))["Item"]["name"]["S"] == "Gülnarə"

    ses = client(server.endpoint, "ses")
    ses.verify_email_identity(EmailAddress="bilet@kapi.example")
    message = MIMEText("QR bileti ekte", "plain", "utf-8")
    message["Subject"] = f"Biletiniz {uuid.uuid4().hex}"
    message["From"], message["To"] = "bilet@kapi.example", "ayse@example.org"
    ses.send_raw_email(RawMessage={"Data": message.as_bytes()})

    with urllib.request.urlopen(f"{server.endpoint}/_kapi/ses/messages") as response:
        sent = json.load(response)
    mine = [m for m in sent if message["Subject"] in m["raw_data"]]
    assert len(mine) == 1
    assert mine[0]["source"] == "bilet@kapi.example"
    assert mine[0]["destinations"] == ["ayse@example.org"]


# -- 2: concurrent transactions are atomic -------------------------------------------

def test_fifty_concurrent_transactions_never_pass_the_cap(ddb):
    table = create_table(ddb)
    for round_ in range(5):
        pk = f"round{round_}"
        start = threading.Barrier(50)

        def register(i):
            start.wait()
            try:
                ddb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": table, "Item": key(pk, f"reg#{i}"),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                    add_one(table, pk, cap=20)])
                return True
            except ClientError as e:
                assert e.response["Error"]["Code"] == "TransactionCanceledException"
                assert reasons(e) == ["None", "ConditionalCheckFailed"]
                return False

        with ThreadPoolExecutor(50) as pool:
            succeeded = sum(pool.map(register, range(50)))
        assert (succeeded, counter(ddb, table, pk), count(ddb, table, pk, "reg#")) == (20, 20, 20)


def test_puts_concurrent_with_cancelled_transactions_are_kept(ddb):
    table = create_table(ddb)
    done = threading.Event()

    def cancel_transactions(worker):
        i = 0
        while not done.is_set():
            i += 1
            with pytest.raises(ClientError, match="TransactionCanceled"):
                ddb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": table, "Item": key("cancelled", f"{worker}-{i}")}},
                    {"ConditionCheck": {"TableName": table, "Key": key("missing", "x"),
                                        "ConditionExpression": "attribute_exists(pk)"}}])

    def put(i):
        ddb.put_item(TableName=table, Item={**key("put", f"{i:04d}"), "v": {"N": str(i)}})

    with ThreadPoolExecutor(2) as cancellers, ThreadPoolExecutor(4) as putters:
        cancelling = [cancellers.submit(cancel_transactions, worker) for worker in range(2)]
        list(putters.map(put, range(400)))
        done.set()
        for future in cancelling:
            future.result()
    assert count(ddb, table, "put") == 400
    assert count(ddb, table, "cancelled") == 0


# -- 3: transactions keep moto's behaviour and cost O(items touched) ---------------

def test_cancelled_transaction_restores_exactly_the_items_it_touched(ddb):
    table = create_table(ddb)
    ddb.put_item(TableName=table, Item={**key("a", "updated"), "v": {"N": "1"}})
    ddb.put_item(TableName=table, Item={**key("a", "deleted"), "v": {"N": "1"}})
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": table, "Key": key("a", "updated"),
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"Put": {"TableName": table, "Item": key("a", "created")}},
            {"Delete": {"TableName": table, "Key": key("a", "deleted")}},
            {"ConditionCheck": {"TableName": table, "Key": key("a", "missing"),
                                "ConditionExpression": "attribute_exists(pk)"}}])
    assert reasons(cancelled.value) == ["None", "None", "None", "ConditionalCheckFailed"]
    items = ddb.query(TableName=table, KeyConditionExpression="pk = :a",
                      ExpressionAttributeValues={":a": {"S": "a"}})["Items"]
    assert sorted((i["sk"]["S"], i["v"]["N"]) for i in items) == [("deleted", "1"), ("updated", "1")]


def test_transaction_validation_and_reasons_match_moto(ddb):
    table = create_table(ddb)
    old = {**key("b", "1"), "name": {"S": "Elvin"}}
    ddb.put_item(TableName=table, Item=old)

    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": key("b", "2")}},
            {"Put": {"TableName": table, "Item": key("b", "1"),
                     "ConditionExpression": "attribute_not_exists(pk)",
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    assert reasons(cancelled.value) == ["None", "ConditionalCheckFailed"]
    assert cancelled.value.response["CancellationReasons"][1]["Item"] == old

    with pytest.raises(ClientError) as twice:  # two operations on one item
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": key("b", "3")}},
            {"Put": {"TableName": table, "Item": key("b", "4")}},
            {"Delete": {"TableName": table, "Key": key("b", "4")}}])
    assert twice.value.response["Error"]["Code"] == "ValidationException"

    with pytest.raises(ClientError) as too_many:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": key("b", f"many{i}")}} for i in range(101)])
    assert too_many.value.response["Error"]["Code"] == "ValidationException"

    assert count(ddb, table, "b") == 1  # nothing of the three failed transactions stayed

    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": key("b", "5")}}, add_one(table, "b")])
    assert count(ddb, table, "b", "5") == 1 and counter(ddb, table, "b") == 1


# Every attribute type, nested, with Turkish and Azerbaijani letters; binary values round trip as bytes.
EVERY_TYPE = {"name": {"S": "İlkin Əliyev"}, "n": {"N": "-12.50"}, "b": {"B": b"\x00\xffQR"},
              "ss": {"SS": ["ə", "ı"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"\x01", b"\x02"]},
              "null": {"NULL": True}, "bool": {"BOOL": False}, "empty": {"S": ""},
              "m": {"M": {"ş": {"L": [{"S": "ğ"}, {"N": "0"}, {"B": b"\x03"}, {"M": {}}]}, "e": {"L": []}}}}


def item_answers(ddb, table):
    """The answers of every call that returns items, on a fresh table, ResponseMetadata left out.
    The server also answers queries from the asked partition alone (devstack/dynamo_queries.py)."""
    ddb.put_item(TableName=table, Item={**key("p", "1"), **EVERY_TYPE, "gsi1pk": {"S": "g"}})
    for pk, sk in (("p", "2"), ("p", "3"), ("q", "1"), ("r", "2")):
        ddb.put_item(TableName=table, Item={**key(pk, sk), "name": {"S": f"Şule {pk}{sk}"}, "gsi1pk": {"S": "g"}})
    names = {"#m": "m", "#n": "name"}
    calls = [
        ("get_item", {"Key": key("p", "1"), "ConsistentRead": True}),
        ("get_item", {"Key": key("p", "1"), "ProjectionExpression": "#n, b, bs, #m, absent",
                      "ExpressionAttributeNames": names}),
        ("get_item", {"Key": key("p", "1"), "ProjectionExpression": "#m.ş[2], ss",
                      "ExpressionAttributeNames": {"#m": "m"}}),
        ("get_item", {"Key": key("p", "nobody")}),
        ("get_item", {"Key": key("p", "1"), "ConsistentRead": False, "ProjectionExpression": "#n, #b,#x",
                      "ExpressionAttributeNames": {"#n": "name", "#b": "b", "#x": "absent"}}),
        ("get_item", {"Key": key("p", "nobody"), "ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": "name"},
                      "ReturnConsumedCapacity": "TOTAL"}),
        ("get_item", {"Key": key("p", "3"), "ReturnConsumedCapacity": "INDEXES"}),
        ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}},
                   "Limit": 1, "ReturnConsumedCapacity": "TOTAL"}),
        ("query", {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :g",
                   "ExpressionAttributeValues": {":g": {"S": "g"}}, "ProjectionExpression": "#n, ns",
                   "ExpressionAttributeNames": {"#n": "name"}}),
        ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}},
                   "Select": "COUNT"}),
        ("query", {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ScanIndexForward": False,
                   "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"S": "1"}, ":b": {"S": "2"}}}),
        ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}},
                   "ExclusiveStartKey": key("p", "1"), "FilterExpression": "attribute_exists(gsi1pk)"}),
        ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "nobody"}}}),
        ("query", {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :g AND sk > :s",
                   "ExpressionAttributeValues": {":g": {"S": "g"}, ":s": {"S": "1"}}, "Limit": 2}),
        ("scan", {"Limit": 3}),
        ("update_item", {"Key": key("p", "2"), "UpdateExpression": "SET b = :b ADD c :one",
                         "ExpressionAttributeValues": {":b": {"B": b"\x10"}, ":one": {"N": "1"}},
                         "ReturnValues": "ALL_NEW"}),
        ("update_item", {"Key": key("p", "2"), "UpdateExpression": "ADD c :one",
                         "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "UPDATED_OLD"}),
        ("put_item", {"Item": {**key("p", "2"), "name": {"S": "Çağrı"}}, "ReturnValues": "ALL_OLD"}),
        ("delete_item", {"Key": key("p", "2"), "ReturnValues": "ALL_OLD"}),
    ]
    answers = [getattr(ddb, name)(TableName=table, **params) for name, params in calls]
    answers.append(ddb.batch_get_item(RequestItems={table: {"Keys": [key("p", "1"), key("p", "3")]}}))
    answers.append(ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key("p", "1")}}]))
    return [unordered_sets({k: v for k, v in answer.items() if k != "ResponseMetadata"}) for answer in answers]


def index_answers(ddb, table):
    """Index queries between writes that move items into, across and out of the index's partitions,
    by every kind of write, refused ones included. The server answers them from a map of the index
    (devstack/dynamo_indexes.py) that the first query builds and the writes keep up to date."""
    def indexed(group, **more):
        answer = ddb.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                           ExpressionAttributeValues={":g": {"S": group}}, **more)
        return [(i["pk"]["S"], i["sk"]["S"], i.get("v", {}).get("S")) for i in answer["Items"]]

    def put(pk, sk, group=None, v="1"):
        return {**key(pk, sk), "v": {"S": v}, **({"gsi1pk": {"S": group}} if group else {})}

    for n in range(6):
        ddb.put_item(TableName=table, Item=put("p", str(n), "gğ" if n % 2 else "h", v="İ"))
    ddb.put_item(TableName=table, Item=put("q", "1"))  # not in the index
    answers = [indexed("gğ"), indexed("h")]
    ddb.update_item(TableName=table, Key=key("p", "1"), UpdateExpression="SET gsi1pk = :h",
                    ExpressionAttributeValues={":h": {"S": "h"}})  # moves across
    ddb.update_item(TableName=table, Key=key("p", "3"), UpdateExpression="REMOVE gsi1pk")  # leaves
    ddb.update_item(TableName=table, Key=key("q", "1"), UpdateExpression="SET gsi1pk = :g, v = :v",
                    ExpressionAttributeValues={":g": {"S": "gğ"}, ":v": {"S": "Ə"}})  # joins
    ddb.update_item(TableName=table, Key=key("q", "2"), UpdateExpression="SET gsi1pk = :g",
                    ExpressionAttributeValues={":g": {"S": "gğ"}})  # a new item, by an update
    ddb.delete_item(TableName=table, Key=key("p", "5"))
    ddb.put_item(TableName=table, Item=put("p", "0", "gğ", v="replaced"))
    answers += [indexed("gğ"), indexed("h")]
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": put("r", "1", "h")}},
        {"Update": {"TableName": table, "Key": key("p", "2"), "UpdateExpression": "SET gsi1pk = :g",
                    "ExpressionAttributeValues": {":g": {"S": "gğ"}}}},
        {"Delete": {"TableName": table, "Key": key("p", "4")}}])
    with pytest.raises(ClientError):  # cancelled: nothing of it may show in the index
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": put("r", "2", "gğ")}},
            {"Delete": {"TableName": table, "Key": key("p", "0")}},
            {"Put": {"TableName": table, "Item": put("r", "1", "h"), "ConditionExpression": "attribute_not_exists(pk)"}}])
    ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": put("s", "1", "gğ")}},
                                               {"DeleteRequest": {"Key": key("q", "1")}}]})
    answers += [indexed("gğ"), indexed("h"), indexed("gğ", Limit=2, ScanIndexForward=False), indexed("none")]
    return answers


def test_index_queries_follow_every_kind_of_write_as_moto_does(ddb):
    from moto import mock_aws

    table = create_table(ddb, "indexed", gsi=True)
    served = index_answers(ddb, table)
    with mock_aws():
        expected = index_answers(client(None), create_table(client(None), "indexed", gsi=True))
    assert served == expected
    assert ("q", "1", "Ə") in served[2] and ("p", "1", "İ") in served[3] and ("s", "1", "1") in served[4]

    with pytest.raises(ClientError):  # refused as a whole (moto itself would keep the first put)
        ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {**key("s", "2"), "gsi1pk": {"S": "gğ"}}}},
            {"PutRequest": {"Item": {"pk": {"S": "s"}}}}]})
    after = ddb.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                      ExpressionAttributeValues={":g": {"S": "gğ"}})["Items"]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in after] == [(pk, sk) for pk, sk, _ in served[4]]


def test_get_item_refusals_are_the_ones_moto_gives(ddb):
    """The common GetItem is answered without moto's request parsing (devstack/dynamo_get.py); every
    other shape of the call must still meet moto's validation, with moto's errors."""
    from moto import mock_aws

    def refusals(ddb, table):
        ddb.put_item(TableName=table, Item={**key("p", "1"), "name": {"S": "Ərəb"}})
        bad = [{"Key": {"pk": {"S": "p"}}},
               {"Key": {**key("p", "1"), "other": {"S": "x"}}},
               {"Key": {"pk": {"S": ""}, "sk": {"S": "1"}}},
               {"Key": {"pk": {"N": "1"}, "sk": {"S": "1"}}},
               {"Key": key("p", "1"), "ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": "name", "#u": "u"}},
               {"Key": key("p", "1"), "ExpressionAttributeNames": {"#n": "name"}},
               {"Key": key("p", "1"), "ProjectionExpression": "#n, #m", "ExpressionAttributeNames": {"#n": "name", "#m": "name"}},
               {"Key": key("p", "1"), "ProjectionExpression": "#n", "ExpressionAttributeNames": {}},
               {"Key": key("p", "1"), "TableName": "no-such-table"}]
        # What botocore would refuse before sending: a client without its checks sends it anyway.
        malformed = [{"Key": key("p", "1"), "ReturnConsumedCapacity": ["TOTAL"]},
                     {"Key": key("p", "1"), "ConsistentRead": "yes"}]
        unchecked = client(ddb.meta.endpoint_url, checked=False)
        answers = []
        for call, params in [(ddb, params) for params in bad] + [(unchecked, params) for params in malformed]:
            try:
                call.get_item(**{"TableName": table, **params})
                answers.append("answered")
            except ClientError as error:
                answers.append((error.response["Error"]["Code"], error.response["Error"]["Message"]))
        return answers

    served = refusals(ddb, create_table(ddb, "refusals"))
    with mock_aws():
        expected = refusals(client(None), create_table(client(None), "refusals"))
    assert served == expected
    assert served[0][0] == "ValidationException" and served[-3][0] == "ResourceNotFoundException"
    assert served[-2][0] == "ValidationException"  # the capacity given as a list


def unordered_sets(value):
    """The answer with its SS/NS/BS members sorted: DynamoDB's sets have no order."""
    if isinstance(value, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else unordered_sets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unordered_sets(v) for v in value]
    return value


def test_item_answers_are_the_ones_moto_gives(ddb):
    """The server writes item-bearing answers itself (devstack/dynamo_results.py), not through
    moto's serializer: they must be the answers moto gives, attribute type by attribute type."""
    from moto import mock_aws

    served = item_answers(ddb, create_table(ddb, "answers", gsi=True))
    with mock_aws():
        expected = item_answers(client(None), create_table(client(None), "answers", gsi=True))
    assert served == expected
    assert served[0]["Item"]["b"]["B"] == b"\x00\xffQR" and served[1]["Item"]["name"]["S"] == "İlkin Əliyev"


def test_transaction_cost_does_not_grow_with_table_size(ddb):
    table = create_table(ddb)

    def median_ms(label):
        times = []
        for i in range(30):
            started = time.perf_counter()
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": key("tx", f"{label}{i}")}},
                add_one(table, "tx")])
            times.append(time.perf_counter() - started)
        return median(times) * 1000

    empty = median_ms("empty")
    for start in range(0, 5000, 25):
        ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {**key("fill", f"{i:05d}"), "data": {"S": "x" * 100}}}}
            for i in range(start, start + 25)]})
    full = median_ms("full")
    print(f"TransactWriteItems: {empty:.2f} ms at 0 items, {full:.2f} ms at 5,000 items")
    assert full < 3 * empty + 5  # moto as shipped: about 200 ms at 5,000 items


# -- 4: memory stays bounded; TTL-expired items are deleted --------------------------

def test_memory_does_not_grow_with_transactions_and_overwrites(server, ddb):
    """Two batches of OPERATIONS transactions and OPERATIONS overwriting puts: the
    second must not grow the server's RSS (the first warms up the allocator)."""
    table = create_table(ddb)
    payload = {"S": "x" * 3072}  # large enough that leaked copies show in RSS

    def transaction(i):
        items = [{"Put": {"TableName": table, "Item": {**key("reg", f"{i % 100}"), "p": payload}}},
                 add_one(table, "reg")]
        if i % 3 == 0:  # a third of them are cancelled
            items.append({"ConditionCheck": {"TableName": table, "Key": key("missing", "x"),
                                             "ConditionExpression": "attribute_exists(pk)"}})
        try:
            ddb.transact_write_items(TransactItems=items)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "TransactionCanceledException"

    def put(i):
        ddb.put_item(TableName=table, Item={**key("put", f"{i % 100}"), "p": payload})

    def batch():
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(transaction, range(OPERATIONS)))
            list(pool.map(put, range(OPERATIONS)))
        return psutil.Process(server.process.pid).memory_info().rss

    first, second = batch(), batch()
    print(f"server RSS after batch 1: {first / 2**20:.1f} MiB, after batch 2: {second / 2**20:.1f} MiB")
    assert second - first < 6 * 2**20  # without clearing instances_tracked: about 14 MiB


def test_ttl_sweep_deletes_expired_items_durably(tmp_path):
    with DynamoProcess(tmp_path, args=["--ttl-sweep-seconds", "1"]) as dynamo:
        ddb = client(dynamo.endpoint)
        table = create_table(ddb, gsi=True)
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "expires_at"})

        def in_index():
            return sorted(i["sk"]["S"] for i in ddb.query(
                TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                ExpressionAttributeValues={":g": {"S": "g"}})["Items"])

        assert in_index() == []  # the server's map of the index exists before the sweep
        now = int(time.time())
        indexed = {"gsi1pk": {"S": "g"}}
        ddb.put_item(TableName=table, Item={**key("t", "expired"), **indexed, "expires_at": {"N": str(now - 60)}})
        ddb.put_item(TableName=table, Item={**key("t", "later"), **indexed, "expires_at": {"N": str(now + 3600)}})
        ddb.put_item(TableName=table, Item={**key("t", "no-ttl"), **indexed})
        assert poll(lambda: count(ddb, table, "t", "expired"), lambda expired: expired == 0, timeout=10) == 0
        assert in_index() == ["later", "no-ttl"]  # the sweep's deletes reach the index too
        dynamo.kill()
        dynamo.start()
        ddb = client(dynamo.endpoint)
        remaining = ddb.query(TableName=table, KeyConditionExpression="pk = :t",
                              ExpressionAttributeValues={":t": {"S": "t"}})["Items"]
        assert sorted(i["sk"]["S"] for i in remaining) == ["later", "no-ttl"]
        assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


# -- 5: durable across kill -9, restarts and compaction ------------------------------

def test_every_acknowledged_write_survives_kill_and_restarts(tmp_path):
    binary = {"B": b"\x00\xff", "BS": [b"\x01", b"\x02"]}
    dynamo = DynamoProcess(tmp_path).start()
    ddb = client(dynamo.endpoint)
    table = create_table(ddb, gsi=True)
    acknowledged, lock = [], threading.Lock()

    def write(i):
        try:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": {
                    **key("reg", f"{i:04d}"), "gsi1pk": {"S": "all"},
                    "bin": {"B": binary["B"]}, "bins": {"BS": binary["BS"]},
                    "nested": {"M": {"b": {"B": binary["B"]}, "l": {"L": [{"N": str(i)}]}}}}}},
                add_one(table, "reg")])
        except Exception:
            return  # in flight when the server was killed: not acknowledged
        with lock:
            acknowledged.append(f"{i:04d}")
            if len(acknowledged) == 300:
                dynamo.kill()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(write, range(400)))
    assert len(acknowledged) >= 300

    def check(ddb):
        items = []
        query = {"TableName": table, "IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :a",
                 "ExpressionAttributeValues": {":a": {"S": "all"}}}
        while True:
            page = ddb.query(**query)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        present = {item["sk"]["S"] for item in items}
        assert set(acknowledged) <= present
        assert counter(ddb, table, "reg") == len(present)  # atomic across the crash too
        assert items[0]["bin"] == {"B": binary["B"]} and items[0]["bins"] == {"BS": binary["BS"]}
        assert items[0]["nested"]["M"]["b"] == {"B": binary["B"]}

    with open(os.path.join(tmp_path, "journal.jsonl"), "ab") as journal:
        journal.write(b'{"seq":999999,"target":"DynamoDB_20120810.PutItem","acc')  # torn by a kill
    dynamo.start()  # replays the journal, then compacts
    check(client(dynamo.endpoint))
    dynamo.kill()
    dynamo.start()  # loads the compacted snapshot
    check(client(dynamo.endpoint))
    dynamo.stop()  # compacts on SIGTERM
    assert os.path.getsize(os.path.join(tmp_path, "journal.jsonl")) == 0
    with DynamoProcess(tmp_path) as dynamo:
        check(client(dynamo.endpoint))


def test_runtime_compaction_and_a_crash_before_the_journal_is_emptied(tmp_path):
    with DynamoProcess(tmp_path, args=["--compact-bytes", "4000"]) as dynamo:
        ddb = client(dynamo.endpoint)
        table = create_table(ddb)
        for _ in range(60):  # about 300 bytes a line: compacts several times on the way
            ddb.update_item(**add_one(table, "c")["Update"])
        assert os.path.getsize(os.path.join(tmp_path, "journal.jsonl")) < 4000
        dynamo.kill()
        dynamo.start()
        assert counter(client(dynamo.endpoint), table, "c") == 60

        # Journal lines the snapshot already holds (a crash between renaming the new
        # snapshot into place and emptying the journal) must not be applied twice.
        ddb = client(dynamo.endpoint)
        for _ in range(5):
            ddb.update_item(**add_one(table, "c")["Update"])
        dynamo.kill()
        journal = os.path.join(tmp_path, "journal.jsonl")
        shutil.copy(journal, tmp_path / "journal.before")
        dynamo.start()  # compacts: the 5 ADDs move into the snapshot
        dynamo.kill()
        shutil.copy(tmp_path / "journal.before", journal)
        dynamo.start()
        assert counter(client(dynamo.endpoint), table, "c") == 65

        # moto's reset empties the server; the data must not come back on a restart.
        request = urllib.request.Request(f"{dynamo.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request).close()
        dynamo.kill()
        dynamo.start()
        assert client(dynamo.endpoint).list_tables()["TableNames"] == []


def test_a_second_server_cannot_take_the_same_data_directory(tmp_path):
    with DynamoProcess(tmp_path):
        with pytest.raises(RuntimeError, match="before it was ready"):
            DynamoProcess(tmp_path).start()


def test_a_damaged_journal_line_stops_the_start_and_keeps_the_files(tmp_path):
    damaged = b'{"seq":1,"target":"DynamoDB_20120810.PutItem",#\n{"seq":2}\n'
    (tmp_path / "journal.jsonl").write_bytes(damaged)
    with pytest.raises(RuntimeError, match="before it was ready"):
        DynamoProcess(tmp_path).start()
    assert (tmp_path / "journal.jsonl").read_bytes() == damaged


# -- 7: nothing is logged but the startup line (and errors) --------------------------

def server_env() -> dict[str, str]:
    """This environment with the repository importable, keeping what PYTHONPATH already holds (under
    `make test-ahead`, the faketime shim every process of the run needs)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}


def test_logs_only_the_ready_line(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.dynamo_server", "--port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=server_env())
    ready = process.stdout.readline()
    assert ready.startswith("READY http://127.0.0.1:")
    ddb = client(ready.split()[1])
    table = create_table(ddb)
    person = {**key("reg", "1"), "email": {"S": "ozel.veri@example.org"}}
    ddb.put_item(TableName=table, Item=person)
    with pytest.raises(ClientError):
        ddb.put_item(TableName=table, Item=person, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError):
        ddb.get_item(TableName="no-such-table", Key=key("reg", "1"))
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    assert (process.returncode, stdout, stderr) == (0, "", "")


def test_a_server_error_is_logged_without_request_data(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.dynamo_server", "--port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=server_env())
    endpoint = process.stdout.readline().split()[1]
    request = urllib.request.Request(  # no TableName: moto itself fails with a KeyError
        endpoint, method="POST", data=b'{"Key": {"email": {"S": "ozel.veri@example.org"}}}',
        headers={"X-Amz-Target": "DynamoDB_20120810.GetItem",
                 "Content-Type": "application/x-amz-json-1.0",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/eu-central-1/"
                                  "dynamodb/aws4_request, SignedHeaders=host, Signature=0"})
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(request)
    assert failed.value.code == 500
    assert json.load(failed.value)["__type"].endswith("InternalFailure")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert "ERROR devstack.dynamo_server request failed" in stderr
    assert stderr.rstrip().endswith("KeyError") and "ozel.veri" not in stderr
