"""Looking for personal data in the stored items: the tests' own Scan, never used by the app."""
from __future__ import annotations

import json
import os
import secrets
import string

import boto3

from chalicelib.registration.search import terms


def person() -> tuple[str, str]:
    """A name and an email (with an IDN domain) found nowhere else in the store."""
    tag = "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
    return f"Aytən {tag.capitalize()}ova", f"Ayten.{tag}@Örnek.az"


def traces(name: str, email: str) -> set[str]:
    """Every form the name and email take when stored: as typed, folded, and as search terms."""
    local = email.split("@")[0]
    return {name, email, local} | {t for t in terms(name, email) if t not in ("ayten", "aytan")}  # everyone's first name


def stored_items() -> list[tuple[str, str]]:
    """Every item of every table of this test run, as (table, case-folded JSON)."""
    client = boto3.client("dynamodb")
    prefix = os.environ["KAPI_TABLE_PREFIX"]
    items = []
    for table in client.list_tables()["TableNames"]:
        if table.startswith(prefix):
            for page in client.get_paginator("scan").paginate(TableName=table):
                items += [(table, json.dumps(item, ensure_ascii=False).casefold()) for item in page["Items"]]
    return items


def containing(items: list[tuple[str, str]], needles: set[str]) -> list[tuple[str, str]]:
    """The items that mention one of `needles` (case-insensitively)."""
    folded = [needle.casefold() for needle in needles]
    return [(table, text) for table, text in items if any(needle in text for needle in folded)]
