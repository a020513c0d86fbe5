"""GetItem, the door scan's read, answered without moto's request machinery.

moto handles every request generically: a werkzeug request whose body it decodes three ways,
the parameters walked against botocore's input shape, IAM bookkeeping, then the handler inside
its consumed-capacity and CRC32 wrappers. For a GetItem that machinery is nearly all of the
0.44 ms the server spent (in-process, a scan's projection of 9 attributes); the lookup itself is
one dict access. Every successful scan makes one, so this module answers the call in the shape
clients send it (the table's whole key, optionally a projection of top-level attributes named by
placeholders and the consumed capacity, as pynamodb writes it) straight from the stored item, and returns
None for any other
shape, which moto then answers with its own validation and errors.

moto decides the account and region of a request from several headers (host, user agent, the
credential's scope, an account header). Rather than repeat those rules, the server remembers what
moto decided for each client's headers (`remember`, on every request moto sets up) and this path
serves only clients it has seen: the first call of a client, or of a new day's credential scope,
goes through moto.
"""

from __future__ import annotations

import binascii
import re
import secrets
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from devstack.dynamo_results import JSON, dumps

_FIELDS = frozenset({"TableName", "Key", "ConsistentRead", "ProjectionExpression", "ExpressionAttributeNames",
                     "ReturnConsumedCapacity"})
_CAPACITY = 0.5  # what moto reports for any GetItem (include_consumed_capacity(0.5))
_CAPACITIES = frozenset({"NONE", "TOTAL", "INDEXES"})
_PLACEHOLDER = re.compile(r"#[A-Za-z0-9_]+")
_KEY_TYPES = frozenset({"S", "N"})  # a binary key is left to moto

#: (account, region) that moto chose for a client's headers; see `remember`. The headers include the
#: credential's date and botocore's per-operation user agent, so the entries are forgotten now and then.
_decided: dict[tuple[str | None, ...], tuple[str, str]] = {}
MAX_CLIENTS = 256


def remember(environ: dict[str, Any], account: str, region: str) -> None:
    """What moto decided for a request with these headers, for the next GetItem that has them.
    Called, like `answer`, under the server's lock."""
    if len(_decided) >= MAX_CLIENTS:
        _decided.clear()
    _decided[_client(environ)] = (account, region)


def answer(environ: dict[str, Any], body: Any) -> tuple[list[bytes], str, dict[str, str]] | None:
    """The GetItem answer (body, status, headers), or None when moto must answer this request."""
    decided = _decided.get(_client(environ))
    if decided is None or not isinstance(body, dict) or not _FIELDS.issuperset(body):
        return None
    name, capacity = body.get("TableName"), body.get("ReturnConsumedCapacity", "NONE")
    table = dynamodb_backends[decided[0]][decided[1]].tables.get(name) if isinstance(name, str) else None
    if (table is None or not isinstance(body.get("ConsistentRead", False), bool)
            or not isinstance(capacity, str) or capacity not in _CAPACITIES):
        return None
    key = _key(table, body.get("Key"))
    names = _projection(body.get("ProjectionExpression"), body.get("ExpressionAttributeNames"))
    if key is None or names is False:
        return None
    partition = table.items.get(key[0])
    item = partition.get(key[1]) if partition is not None and key[1] is not None else partition
    result = {}
    if item is not None:
        attrs = item.attrs if names is None else {name: item.attrs[name] for name in names if name in item.attrs}
        result["Item"] = attrs
    if capacity != "NONE":
        result["ConsumedCapacity"] = {"TableName": table.name, "CapacityUnits": _CAPACITY,
                                      **({"Table": {"CapacityUnits": _CAPACITY}} if capacity == "INDEXES" else {})}
    payload = dumps(result).encode()
    headers = {"Content-Type": JSON, "server": "amazon.com", "x-amz-crc32": str(binascii.crc32(payload)),
               "x-amzn-requestid": secrets.token_hex(26).upper()}
    return [payload], "200 OK", headers


def _client(environ: dict[str, Any]) -> tuple[str | None, ...]:
    """Every header moto's account and region can depend on, and the URL (the region can be in it)."""
    return (environ.get("HTTP_HOST"), environ.get("PATH_INFO"), environ.get("QUERY_STRING"),
            environ.get("HTTP_USER_AGENT"), environ.get("HTTP_AUTHORIZATION", "").partition(",")[0],
            environ.get("HTTP_X_MOTO_ACCOUNT_ID"))


def _key(table: Any, key: Any) -> tuple[DynamoType, DynamoType | None] | None:
    """The table's key values, when `key` is exactly the table's key with values of its types."""
    wanted = {table.hash_key_attr: table.hash_key_type}
    if table.range_key_attr is not None:
        wanted[table.range_key_attr] = table.range_key_type
    if not isinstance(key, dict) or set(key) != set(wanted):
        return None
    for name, value in key.items():
        kind = wanted[name]
        if kind not in _KEY_TYPES or not (isinstance(value, dict) and len(value) == 1
                                          and isinstance(value.get(kind), str) and value[kind]):
            return None
    hash_value = DynamoType(key[table.hash_key_attr])
    return hash_value, DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None


def _projection(expression: Any, names: Any) -> list[str] | None | bool:
    """The attribute names a projection picks, None for the whole item, False for what moto must judge:
    anything but distinct placeholders that use every name given once."""
    if expression is None:
        return None if names is None else False
    if not isinstance(expression, str) or not isinstance(names, dict):
        return False
    placeholders = [part.strip() for part in expression.split(",")]
    if (not all(_PLACEHOLDER.fullmatch(part) for part in placeholders) or set(placeholders) != set(names)
            or len(placeholders) != len(names)):
        return False
    attributes = [names[part] for part in placeholders]
    if not all(isinstance(name, str) and name for name in attributes) or len(set(attributes)) != len(attributes):
        return False
    return attributes
