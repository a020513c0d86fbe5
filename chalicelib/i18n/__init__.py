"""Localised text in Turkish, Azerbaijani and English.

The catalogues are flat JSON files in `messages/`, one per area and language
(`messages/mail.tr.json`), so each part of Kapı keeps its texts beside the others' without sharing
a file. Keys are dotted and start with their file's area ("mail.confirmed.subject"). Values are
`str.format` templates, so a literal
brace is written twice. English is the reference. A key missing in tr or az falls back to
English, and a key missing in English is a bug: KeyError. The tests hold all three files to the
same keys and placeholders.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Mapping

SUPPORTED = ("tr", "az", "en")
DEFAULT = "en"
_FALLBACK_ORDER = ("en", "tr", "az")


_MESSAGES = Path(__file__).with_name("messages")


@functools.cache
def catalogue(language: str) -> Mapping[str, str]:
    """One language's messages from every area's file, read once per process.

    A key outside its file's area would be found in an unexpected place, and could silently shadow
    another file's key: both are errors.
    """
    messages: dict[str, str] = {}
    for path in sorted(_MESSAGES.glob(f"*.{language}.json")):
        area = path.name.split(".")[0]
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            if key.partition(".")[0] != area:
                raise ValueError(f"{path.name}: key {key!r} is outside the area {area!r}")
            messages[key] = text
    return messages


def translate(key: str, language: str | None, **params: object) -> str:
    language = pick_language(language) or DEFAULT
    template = catalogue(language).get(key)
    if template is None:
        template = catalogue(DEFAULT)[key]
    return template.format(**params)


def pick_language(value: str | None, supported: tuple[str, ...] = SUPPORTED) -> str | None:
    """The supported language a tag names, e.g. "tr-TR" → "tr" and "az_Latn" → "az". None if there is none."""
    if not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").partition("-")[0].lower()
    return primary if primary in supported else None


def localized(texts: Mapping[str, str] | None, language: str | None) -> str:
    """Pick from a `{tr, az, en}` text map: the language asked for, then en, tr, az, then any.

    Events need only one language, so some text is always shown. Empty values count as missing.
    """
    texts = {lang: text for lang, text in (texts or {}).items() if text}
    for lang in (language, *_FALLBACK_ORDER):
        if lang in texts:
            return texts[lang]
    return next(iter(texts.values()), "")


def negotiate(accept_language: str | None, query_lang: str | None = None, default: str = DEFAULT) -> str:
    """The language for a page or message: `?lang=` wins, then Accept-Language by q-value, then `default`.

    A page about one registration passes the registration's language as `default`: a browser that
    names none of ours (a German phone) then shows the language the attendee registered in.
    """
    chosen = pick_language(query_lang)
    if chosen:
        return chosen
    ranked = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.partition(";")
        language = pick_language(tag)
        weight = _q_value(params)
        if language and weight > 0:
            ranked.append((weight, -position, language))
    return max(ranked)[2] if ranked else default


def _q_value(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
