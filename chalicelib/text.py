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


def fold_case(text: str) -> str:
    """Case-insensitive form that treats Turkish dotted and dotless i as i; keeps other letters."""
    return unicodedata.normalize("NFC", text).translate(_I_VARIANTS).casefold()


def search_fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: 'Şengül  Əliyeva' → 'sengul eliyeva'."""
    from anyascii import anyascii

    return " ".join(_NON_WORD.split(anyascii(fold_case(text)).lower())).strip()


def search_words(text: str) -> list[str]:
    return [w for w in search_fold(text).split(" ") if w]
