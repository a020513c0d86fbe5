"""The local DynamoDB server's own cost: server CPU milliseconds a request, and requests a second.

`python -m bench.local_dynamodb [ROUNDS] [THREADS]` starts a fresh server (devstack.dynamo_process)
and sends it ROUNDS × 5 requests from THREADS boto3 clients at once, the calls Kapı makes most:
PutItem, UpdateItem with ReturnValues=ALL_NEW (what pynamodb's Model.update asks), GetItem, Query
and a two-item TransactWriteItems, with items of 17 attributes. The server's CPU time is read
from /proc before and after, so the client's own work (boto3, in this process) is not counted.
Prints one JSON object. The server is the hottest process of `make test`; README ("What a
request costs it") has the numbers before and after its keep-alive and direct-dispatch changes.
"""

import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from devstack.dynamo_process import DynamoProcess

KEY = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRIBUTES = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
ITEM = {f"a{i}": {"S": "İzmir–Bakı ə ğ " * 3} for i in range(15)}


def server_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def calls(ddb, i: int) -> None:
    """Five requests on one partition of 50."""
    pk, sk = {"S": f"p{i % 50}"}, {"S": f"s{i}"}
    ddb.put_item(TableName="bench", Item={"pk": pk, "sk": sk, **ITEM})
    ddb.update_item(TableName="bench", Key={"pk": pk, "sk": sk}, ReturnValues="ALL_NEW",
                    UpdateExpression="SET n = if_not_exists(n, :zero) + :one",
                    ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}})
    ddb.get_item(TableName="bench", Key={"pk": pk, "sk": sk}, ConsistentRead=True)
    ddb.query(TableName="bench", KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
              ExpressionAttributeValues={":p": pk, ":s": sk})
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "bench", "Key": {"pk": pk, "sk": {"S": "count"}}, "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": "bench", "Item": {"pk": pk, "sk": {"S": f"t{i}"}, **ITEM},
                 "ConditionExpression": "attribute_not_exists(pk)"}}])


def run(rounds: int = 300, threads: int = 4) -> dict:
    with DynamoProcess(tempfile.mkdtemp(prefix="kapi-bench-dynamo-"), faults="") as server:
        ddb = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="eu-central-1",
                           aws_access_key_id="local", aws_secret_access_key="local",
                           config=Config(max_pool_connections=threads, retries={"total_max_attempts": 1}))
        ddb.create_table(TableName="bench", KeySchema=KEY, AttributeDefinitions=ATTRIBUTES,
                         BillingMode="PAY_PER_REQUEST")
        for i in range(20):  # warm: moto's lazy imports, the client's connections
            calls(ddb, i)
        cpu, started = server_cpu_seconds(server.process.pid), time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda i: calls(ddb, i), range(20, 20 + rounds)))
        elapsed, cpu = time.perf_counter() - started, server_cpu_seconds(server.process.pid) - cpu
    requests = rounds * 5
    return {"requests": requests, "threads": threads, "server_cpu_ms_per_request": round(cpu * 1000 / requests, 2),
            "requests_per_s": round(requests / elapsed, 1)}


if __name__ == "__main__":
    print(json.dumps(run(*(int(a) for a in sys.argv[1:3]))))
