"""What one process builds once from its settings: its stage's tables and its mail pipeline.

A Lambda container, the local run and its workers each act on one stage, the one their environment
names; these are the objects their entry points hand to the domain. Nothing is built at import: the
first call reads the settings (Chalice's local server and the Lambda runtime set the environment at
different moments). Code that acts on another stage, such as the deploy tool or a test, builds its own
`Tables` instead of calling these.
"""
from __future__ import annotations

import functools

from chalicelib.common.config import settings
from chalicelib.mail.pipeline import Pipeline, pipeline_from_settings
from chalicelib.storage.tables import Tables


@functools.lru_cache(maxsize=1)
def tables() -> Tables:
    return Tables.for_stage(settings())


@functools.lru_cache(maxsize=1)
def pipeline() -> Pipeline:
    """The process's pipeline (a transport may hold connections), on the process's tables."""
    return pipeline_from_settings(tables())


def rebuild() -> None:
    """Forget the settings and what was built from them, for a tool or test that changed the
    environment: the next call builds them again."""
    settings.cache_clear()
    tables.cache_clear()
    pipeline.cache_clear()
