"""Create the tables on a local or test endpoint. In AWS the tables come from `infra/` instead."""
from __future__ import annotations

from pynamodb.connection import Connection

from chalicelib.config import settings
from chalicelib.storage.models import ALL_MODELS

TTL_ATTRIBUTES = {"claims": "expires_at"}


def create_tables() -> None:
    """Create every missing table and switch on TTL where declared; safe to call on every start."""
    connection = Connection(region=settings().region)
    for model in ALL_MODELS:
        if model.exists():
            continue
        model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        short_name = model.Meta.table_name.removeprefix(settings().table_prefix)
        if short_name in TTL_ATTRIBUTES:
            connection.update_time_to_live(model.Meta.table_name, TTL_ATTRIBUTES[short_name])
