"""Settings read from the environment, in one place.

Everything is read lazily through `settings()` rather than at import time: Chalice's test client and
the Lambda runtime set environment variables at different moments, and an import must stay cheap.
Call `settings.cache_clear()` after changing the environment (tests do).
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    stage: str
    table_prefix: str
    region: str
    data_dir: Path
    public_url: str
    rate_limit_per_minute: int
    cache_seconds: float
    mail_transport: str
    mail_from: str
    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_user: str | None
    smtp_password: str | None
    signing_key_source: str
    signing_key_name: str
    admin_token: str | None
    client_ip_header: str | None
    mail_max_attempts: int
    mail_retry_seconds: float
    mail_rate: float | None
    mail_daily: int | None
    mail_parallel: int
    outbox_queue: str
    counter_shards: int
    door_shards: int
    retry_base_seconds: float

    def table_name(self, short_name: str) -> str:
        return f"{self.table_prefix}{short_name}"


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    stage = env.get("KAPI_STAGE", "local")
    port = env.get("KAPI_PORT", "8000")
    local_url = f"http://127.0.0.1:{port}{env.get('KAPI_STAGE_PATH', '')}"  # the local run, maybe under a stage
    return Settings(
        stage=stage,
        table_prefix=env.get("KAPI_TABLE_PREFIX", f"kapi-{stage}-"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-central-1",
        data_dir=Path(env.get("KAPI_DATA_DIR", ".kapi")),
        public_url=env.get("KAPI_PUBLIC_URL", local_url).rstrip("/"),
        rate_limit_per_minute=int(env.get("KAPI_RATE_LIMIT", "30")),
        cache_seconds=float(env.get("KAPI_CACHE_SECONDS", "10")),
        mail_transport=env.get("KAPI_MAIL_TRANSPORT", "outbox"),
        mail_from=env.get("KAPI_MAIL_FROM", "Kapı <tickets@kapi.invalid>"),
        smtp_host=env.get("KAPI_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(env.get("KAPI_SMTP_PORT", "25")),
        smtp_starttls=_flag(env.get("KAPI_SMTP_STARTTLS", "0")),
        smtp_user=env.get("KAPI_SMTP_USER") or None,
        smtp_password=env.get("KAPI_SMTP_PASSWORD") or None,
        signing_key_source=env.get("KAPI_SIGNING_KEY_SOURCE", "file"),
        signing_key_name=env.get("KAPI_SIGNING_KEY_NAME", f"/kapi/{stage}/signing-keys"),
        admin_token=env.get("KAPI_ADMIN_TOKEN") or None,
        client_ip_header=env.get("KAPI_CLIENT_IP_HEADER") or None,
        mail_max_attempts=int(env.get("KAPI_MAIL_MAX_ATTEMPTS", "8")),
        mail_retry_seconds=float(env.get("KAPI_MAIL_RETRY_SECONDS", "30")),
        mail_rate=float(env["KAPI_MAIL_RATE"]) if env.get("KAPI_MAIL_RATE") else None,
        mail_daily=int(env["KAPI_MAIL_DAILY"]) if env.get("KAPI_MAIL_DAILY") else None,
        mail_parallel=int(env.get("KAPI_MAIL_PARALLEL", "4")),
        outbox_queue=env.get("KAPI_OUTBOX_QUEUE", "pending"),
        counter_shards=int(env.get("KAPI_COUNTER_SHARDS", "64")),
        door_shards=int(env.get("KAPI_DOOR_SHARDS", "8")),
        retry_base_seconds=float(env.get("KAPI_RETRY_BASE_MS", "25")) / 1000,
    )
