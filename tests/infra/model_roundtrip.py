"""Put, get and query one item of every model, and query every index, against the tables of the
endpoint in the environment (run by test_stack_data.py against tables made by CloudFormation)."""
from __future__ import annotations

import sys
from datetime import datetime, timezone

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.common.config import settings
from chalicelib.storage.tables import Tables


def sample(attribute, name: str):
    if isinstance(attribute, NumberAttribute):
        return 1
    if isinstance(attribute, BooleanAttribute):
        return True
    if isinstance(attribute, UTCDateTimeAttribute):
        return datetime.now(timezone.utc)
    if isinstance(attribute, (MapAttribute, JSONAttribute)):
        return {"k": "İ"}
    if isinstance(attribute, ListAttribute):
        return ["ə"]
    return f"{name}-İə"


def roundtrip(model) -> None:
    values = {name: sample(attribute, name) for name, attribute in model.get_attributes().items()}
    model(**values).save()
    hash_key = model._hash_keyname
    fetched = model.get(values[hash_key], **({"range_key": values[model._range_keyname]} if model._range_keyname else {}))
    assert getattr(fetched, hash_key) == values[hash_key], model.__name__
    assert len(list(model.query(values[hash_key]))) == 1, model.__name__
    for index in model._indexes.values():
        index_hash = index._hash_key_attribute().attr_name
        assert len(list(index.query(values[index_hash]))) == 1, (model.__name__, index.Meta.index_name)


def main() -> int:
    for model in Tables.for_stage(settings()).all():
        roundtrip(model)
        print(f"{model.__name__}: put, get, query and {len(model._indexes)} index queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
