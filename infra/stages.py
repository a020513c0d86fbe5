"""A deploy stage as `.chalice/config.json` declares it, read by Chalice's own config rules.

config.json is the one place where a stage's values are written (table prefix, sender, signing key
name, API stage); the merge template and the key CLI read them from here, so they cannot drift
from what the functions are given.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Mapping

from chalice.config import Config

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Stage:
    name: str
    app_name: str
    api_gateway_stage: str
    log_retention_in_days: int | None
    environment: Mapping[str, str]

    @property
    def table_prefix(self) -> str:
        return self.environment["KAPI_TABLE_PREFIX"]

    @property
    def signing_key_name(self) -> str:
        return self.environment["KAPI_SIGNING_KEY_NAME"]

    @property
    def signing_key_source(self) -> str:
        return self.environment.get("KAPI_SIGNING_KEY_SOURCE", "file")

    @property
    def sender_domain(self) -> str:
        return parseaddr(self.environment["KAPI_MAIL_FROM"])[1].rpartition("@")[2]


def load_stage(name: str, project_dir: Path = PROJECT_DIR) -> Stage:
    from_disk = json.loads((project_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    if name not in from_disk.get("stages", {}):
        raise ValueError(f"no stage {name!r} in .chalice/config.json")
    config = Config(chalice_stage=name, config_from_disk=from_disk)
    return Stage(name=name, app_name=config.app_name, api_gateway_stage=config.api_gateway_stage or "api",
                 log_retention_in_days=config.log_retention_in_days,
                 environment=dict(config.environment_variables))
