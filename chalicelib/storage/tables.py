"""One stage's DynamoDB tables, as an object the domain is handed instead of a module it imports.

Each model of `storage.models` declares a schema without a table name. `Tables` binds every one of
them to a stage's names (`<prefix><short name>`) as a subclass of its own, so two `Tables` in one
process act on two stages: the deploy tool writes the first admin token into the stage it deploys,
whatever stage the process itself was started for. The app builds its stage's `Tables` once per
process (`chalicelib.http.stage.tables`); workers, command-line tools and tests build the one they
act on.

`db.Registration.get(...)` reads the bound table; `models.Registration.status == "confirmed"` (the
unbound class) still names the attribute in a condition, since conditions name attributes, not tables.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.connection import Connection
from pynamodb.models import Model

from chalicelib.storage import models
from chalicelib.storage.transaction import Transaction

if TYPE_CHECKING:
    from chalicelib.common.config import Settings

TTL_ATTRIBUTES = {"claims": "expires_at"}


def short_name(model: type[Model]) -> str:
    """The table's name without any stage's prefix ("claims"): what every stage's name ends with."""
    return str(model.Meta.short_name)  # type: ignore[attr-defined]


def _bind(model: type[Model], prefix: str, region: str) -> Any:
    """A subclass of `model` whose Meta names this stage's table. It shares the model's DoesNotExist,
    so `except models.Registration.DoesNotExist` catches a miss in any stage."""
    meta = type("Meta", (model.Meta,),  # type: ignore[arg-type]  # Meta is a class; typed as MetaProtocol
                {"table_name": f"{prefix}{short_name(model)}", "region": region})
    return type(model.__name__, (model,), {"Meta": meta, "DoesNotExist": model.DoesNotExist,
                                           "__module__": model.__module__, "__qualname__": model.__qualname__})


class Tables:
    """Every table of one stage, bound: `db.Event`, `db.Registration`, ... and one low-level
    connection for what models cannot say (transactions, items with dynamic attribute names)."""

    Event: type[models.Event]
    Registration: type[models.Registration]
    Counter: type[models.Counter]
    Claim: type[models.Claim]
    Token: type[models.Token]
    TokenGrant: type[models.TokenGrant]
    OutboxMessage: type[models.OutboxMessage]
    OwedPromotion: type[models.OwedPromotion]
    SearchEntry: type[models.SearchEntry]
    CheckinList: type[models.CheckinList]
    Scan: type[models.Scan]
    RevokedSecret: type[models.RevokedSecret]

    def __init__(self, prefix: str, region: str) -> None:
        self.prefix = prefix
        self.region = region
        self.connection = Connection(region=region)
        model: type[Model]
        for model in (*models.ALL_MODELS, models.OwedPromotion):  # type: ignore[assignment]
            setattr(self, model.__name__, _bind(model, prefix, region))

    @classmethod
    def for_stage(cls, config: Settings) -> Tables:
        return cls(config.table_prefix, config.region)

    def __repr__(self) -> str:
        return f"Tables({self.prefix!r}, {self.region!r})"

    def all(self) -> tuple[type[Model], ...]:
        """The bound model of each table (OwedPromotion shares the outbox table, so it is not here)."""
        return tuple(getattr(self, model.__name__) for model in models.ALL_MODELS)

    def name(self, short: str) -> str:
        return f"{self.prefix}{short}"

    def transaction(self) -> Transaction:
        return Transaction(self.connection)

    def create(self) -> None:
        """Create every missing table, add the indexes a kept table lacks (a data dir from before an
        index was declared), and switch on TTL where declared; safe to call on every start. For a
        local or test endpoint: in AWS the tables and their indexes come from `infra/`."""
        for model in self.all():
            if model.exists():
                self._add_missing_indexes(model)
                continue
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            ttl_attribute = TTL_ATTRIBUTES.get(short_name(model))
            if ttl_attribute:
                self.connection.update_time_to_live(model.Meta.table_name, ttl_attribute)

    def _add_missing_indexes(self, model: type[Model]) -> None:
        table = model.Meta.table_name
        present = {index["IndexName"] for index in
                   self.connection.client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])}
        schema = model._get_schema()
        for index in schema["global_secondary_indexes"]:
            if index["index_name"] in present:
                continue
            keys = {key["AttributeName"] for key in index["key_schema"]}
            self.connection.client.update_table(
                TableName=table,
                AttributeDefinitions=[a for a in schema["attribute_definitions"] if a["AttributeName"] in keys],
                GlobalSecondaryIndexUpdates=[{"Create": {
                    "IndexName": index["index_name"],
                    "KeySchema": [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]}
                                  for k in index["key_schema"]],
                    "Projection": index["projection"]}}])
