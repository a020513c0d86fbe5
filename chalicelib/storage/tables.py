"""Create the tables on a local or test endpoint. In AWS the tables come from `infra/` instead."""
from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.models import Model

from chalicelib.common.config import settings
from chalicelib.storage.models import ALL_MODELS

TTL_ATTRIBUTES = {"claims": "expires_at"}


def short_name(model: type[Model]) -> str:
    """The table's name without the configured prefix ("claims"): what every stage's name ends with."""
    return model.Meta.table_name.removeprefix(settings().table_prefix)


def create_tables() -> None:
    """Create every missing table and switch on TTL where declared; safe to call on every start."""
    connection = Connection(region=settings().region)
    for model in ALL_MODELS:
        if model.exists():
            continue
        model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        ttl_attribute = TTL_ATTRIBUTES.get(short_name(model))
        if ttl_attribute:
            connection.update_time_to_live(model.Meta.table_name, ttl_attribute)
