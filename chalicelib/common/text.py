"""Text folding for comparison and search, where Turkish and Azerbaijani letters need care.

Python's casefold() turns "İ" into "i̇" (i + combining dot) and leaves "ı" alone, so "İLKİN",
"ILKIN" and "ilkin" would all differ. Emails are compared after folding every i-variant to "i";
search additionally transliterates (Şengül → sengul, Gülşən → gulsen) with anyascii.
"""
from __future__ import annotations

import re
import unicodedata

_I_VARIANTS = str.maketrans({"İ": "i", "I": "i", "ı": "i"})
_NON_WORD = re.compile(r"[^a-z0-9]+")


# Unicode's Bidi_Control characters. They reorder how the text around them is shown ("Trojan Source":
# U+202E shows "evil\u202egpj.exe" as "evilexe.jpg"), in the dashboard, the export and the door's
# search alike. Refused wherever a person's text is taken in: names (with every other format
# character) and form answers.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_bidi_control(text: str) -> bool:
    return not BIDI_CONTROLS.isdisjoint(text)


def is_printable_ascii(value: object, limit: int) -> bool:
    """Whether a key the client chose (a scan's nonce, an Idempotency-Key) is 1 to `limit` printable
    ASCII characters: it becomes part of a DynamoDB key and is compared byte for byte."""
    return isinstance(value, str) and 1 <= len(value) <= limit and value.isascii() and value.isprintable()


def fold_case(text: str) -> str:
    """Case-insensitive form that treats Turkish dotted and dotless i as i; keeps other letters."""
    return unicodedata.normalize("NFC", text).translate(_I_VARIANTS).casefold()


# Azerbaijani Ə has two romanisations in everyday use: "e" (Turkish keyboards, anyascii's choice)
# and "a" (passports, Russian-era spelling): Əliyeva is typed Eliyeva or Aliyeva.
_SCHWA = {"e": str.maketrans({"Ə": "E", "ə": "e"}), "a": str.maketrans({"Ə": "A", "ə": "a"})}


def search_fold(text: str, schwa: str = "e") -> str:
    """Lower-case ASCII words separated by single spaces: 'Şengül  Əliyeva' → 'sengul eliyeva'
    (with `schwa="a"`: 'sengul aliyeva')."""
    from anyascii import anyascii

    return " ".join(_NON_WORD.split(anyascii(fold_case(text.translate(_SCHWA[schwa]))).lower())).strip()


def search_words(text: str, schwa: str = "e") -> list[str]:
    return [w for w in search_fold(text, schwa).split(" ") if w]


def name_words(name: str) -> list[str]:
    """A name's words in every romanisation a person may type, "e" spellings first (the older index)."""
    words = search_words(name)
    return words + [w for w in search_words(name, "a") if w not in words]
