"""chalicelib/common/text.py: folding Turkish and Azerbaijani letters for comparing emails and for search.
Pure.

Makes the folding cases of tests/checkin/test_search.py (test_search_folds_turkish_and_azerbaijani_letters,
test_azerbaijani_schwa_is_found_spelled_a_or_e) redundant as far as the words go; those still prove the
index query over HTTP.
"""
from __future__ import annotations

import pytest

from chalicelib.common import text


@pytest.mark.parametrize("spelling", ["İLKİN", "ILKIN", "ilkin", "ılkın", "Ilkın", "İlkin"])
def test_every_turkish_i_folds_to_the_same_letter(spelling):
    assert text.fold_case(spelling) == text.fold_case("ilkin")


def test_folding_keeps_letters_other_than_i():
    assert text.fold_case("ŞENGÜL") == "şengül"
    assert text.fold_case("ƏLİYEVA") == "əliyeva"
    assert text.fold_case("Straße") == "strasse"  # casefold, not lower


def test_composed_and_decomposed_letters_fold_alike():
    decomposed = "S\u0327engu\u0308l"  # S + cedilla, u + diaeresis
    assert text.fold_case(decomposed) == text.fold_case("Şengül")


def test_search_fold_gives_lower_case_ascii_words():
    assert text.search_fold("Şengül  Əliyeva") == "sengul eliyeva"
    assert text.search_fold("ÇAĞLAR Öztürk-Işıkoğlu") == "caglar ozturk isikoglu"
    assert text.search_fold("  İlkin, Işık! ") == "ilkin isik"


def test_the_azerbaijani_schwa_has_both_everyday_spellings():
    assert text.search_fold("Gülşən Əliyeva", schwa="e") == "gulsen eliyeva"
    assert text.search_fold("Gülşən Əliyeva", schwa="a") == "gulsan aliyeva"


def test_search_words_drop_empty_words():
    assert text.search_words("— Şengül · ") == ["sengul"]
    assert text.search_words("!!!") == []


def test_name_words_offer_e_spellings_first_then_the_a_ones_not_already_there():
    assert text.name_words("Əli Şengül") == ["eli", "sengul", "ali"]
    assert text.name_words("Ilkin Işık") == ["ilkin", "isik"]  # no schwa: nothing doubled


@pytest.mark.parametrize("value,ok", [
    ("a", True), ("n-01_A.~ Z", True), ("x" * 10, True), ("x" * 11, False), ("", False),
    ("ş", False), ("tab\there", False), (42, False), (None, False),
])
def test_client_keys_are_one_to_limit_printable_ascii_characters(value, ok):
    assert text.is_printable_ascii(value, 10) is ok
