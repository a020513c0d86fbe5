"""Finding registrations by name or email prefix, ignoring case and accents: Şengül ← "sengul".

Each registration writes a few `SearchEntry` items (its name words and its email, folded); a search
is one Query with `begins_with` on the first word of the query, then a check of every word against
the candidates, which are read with one BatchGet. No Scan, whatever the event's size.
"""
from __future__ import annotations

import re

from chalicelib.common.text import fold_case, name_words, search_words
from chalicelib.storage.models import Registration, SearchEntry
from chalicelib.storage.tables import Tables

MAX_NAME_WORDS = 8
MIN_QUERY = 3
_COMPACT = re.compile(r"[^a-z0-9]+")


def _compact_email(email: str) -> str:
    from anyascii import anyascii

    return _COMPACT.sub("", anyascii(fold_case(email)).lower())


def terms(name: str, email: str) -> set[str]:
    """The index terms of a registration: its first name words, each in both romanisations of Ə
    (registrations indexed before the "a" spelling existed keep their "e" terms, still found by
    them), and its email."""
    return (set(search_words(name)[:MAX_NAME_WORDS]) | set(search_words(name, "a")[:MAX_NAME_WORDS])
            | {_compact_email(email)})


def entries(db: Tables, registration: Registration) -> list[SearchEntry]:
    return [db.SearchEntry(registration.event_id, f"{term}#{registration.id}", registration_id=registration.id)
            for term in sorted(terms(registration.name or "", registration.email or "")) if term]


def find(db: Tables, event_id: str, query: str, limit: int = 20, by_email: bool = True) -> list[Registration]:
    """Registrations whose name words start with every word of `query`, or whose email starts with it.

    Without `by_email` only names match: door staff, who may not see emails, must not learn them
    by probing prefixes either.
    """
    words = search_words(query)
    email_prefix = _compact_email(query) if by_email else None
    if not words:
        return []
    ids: list[str] = []
    for entry in db.SearchEntry.query(event_id, SearchEntry.term.startswith(words[0])):
        if entry.registration_id not in ids:
            ids.append(entry.registration_id)
        if len(ids) >= limit * 5:
            break
    found = [r for r in db.Registration.batch_get(ids) if r.event_id == event_id and not r.erased]
    matches = [r for r in found if _matches(r, words, email_prefix)]
    return sorted(matches, key=lambda r: search_words(r.name or ""))[:limit]


def _matches(registration: Registration, words: list[str], email_prefix: str | None) -> bool:
    own = name_words(registration.name or "")
    by_name = all(any(w.startswith(q) for w in own) for q in words)
    return by_name or (email_prefix is not None and _compact_email(registration.email or "").startswith(email_prefix))
