import string

import pytest

from chalicelib import i18n
from chalicelib.common.dates import format_event_time
from chalicelib.i18n import SUPPORTED, catalogue, localized, negotiate, pick_language, translate

AZERBAIJANI_LETTERS = set("abcçdeəfgğhxıijkqlmnoöprsştuüvyz")


def _fields(template):
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_every_key_is_in_all_three_catalogues_with_the_same_placeholders():
    reference = catalogue("en")
    for language in SUPPORTED:
        messages = catalogue(language)
        assert set(messages) == set(reference), language
        for key, template in messages.items():
            assert _fields(template) == _fields(reference[key]), (language, key)


def test_mail_texts_are_really_translated():
    for key, english in catalogue("en").items():
        if key.startswith("mail."):
            assert catalogue("tr")[key] != english, key
            assert catalogue("az")[key] != english, key


def test_azerbaijani_texts_use_the_azerbaijani_latin_alphabet():
    for key, template in catalogue("az").items():
        letters = {c for c in template.lower().replace("i̇", "i") if c.isalpha()} - set("".join(_fields(template)))
        assert letters <= AZERBAIJANI_LETTERS, (key, letters - AZERBAIJANI_LETTERS)
    assert "ə" not in "".join(catalogue("tr").values())


def test_translate_fills_placeholders_in_the_language_asked_for():
    assert translate("mail.greeting", "tr", name="İlkin Işık") == "Sayın İlkin Işık,"
    assert translate("mail.greeting", "az", name="Şengül Əliyeva") == "Hörmətli Şengül Əliyeva,"
    assert translate("mail.greeting", "az-Latn-AZ", name="Ə") == "Hörmətli Ə,"


def test_an_unknown_language_falls_back_to_english():
    assert translate("mail.qr_alt", "de") == translate("mail.qr_alt", None) == "Entry QR code"


def test_a_key_missing_in_turkish_falls_back_to_english_and_one_missing_everywhere_is_an_error(monkeypatch):
    catalogues = {"en": {"only.en": "English {x}"}, "tr": {}, "az": {}}
    monkeypatch.setattr(i18n, "catalogue", catalogues.__getitem__)

    assert translate("only.en", "tr", x=1) == "English 1"
    with pytest.raises(KeyError):
        translate("nowhere", "tr")


@pytest.mark.parametrize(
    "value, expected",
    [("tr", "tr"), ("TR-tr", "tr"), (" az_Latn ", "az"), ("en-GB", "en"), ("de", None), ("", None), (None, None)],
)
def test_pick_language_reads_language_tags(value, expected):
    assert pick_language(value) == expected


def test_pick_language_respects_the_supported_set():
    assert pick_language("az", supported=("tr", "en")) is None


def test_localized_prefers_the_language_then_english_turkish_azerbaijani():
    assert localized({"tr": "Gece", "az": "Gecə", "en": "Night"}, "az") == "Gecə"
    assert localized({"tr": "Gece", "az": "Gecə", "en": "Night"}, "de") == "Night"
    assert localized({"az": "Gecə", "tr": "Gece"}, "en") == "Gece"
    assert localized({"az": "Gecə", "tr": ""}, "tr") == "Gecə"
    assert localized({"ru": "Ночь"}, "tr") == "Ночь"
    assert localized({}, "tr") == ""


@pytest.mark.parametrize(
    "header, query, expected",
    [
        ("tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7", None, "tr"),
        ("ru-RU, az;q=0.8, tr;q=0.5", None, "az"),
        ("de, en;q=0.1, tr;q=0.2", None, "tr"),
        ("en;q=0.5, az;q=0.5", None, "en"),  # a tie goes to the first named
        ("tr;q=0, az;q=bad, en;q=0.3", None, "en"),
        ("*", None, "en"),
        (None, None, "en"),
        ("tr", "az", "az"),
        ("tr", "xx", "tr"),
    ],
)
def test_negotiate_prefers_the_query_then_the_highest_q_value(header, query, expected):
    assert negotiate(header, query) == expected


def test_negotiate_falls_back_to_the_default_given_only_when_nothing_matches():
    assert negotiate("de-DE,de;q=0.9", None, default="az") == "az"
    assert negotiate(None, None, default="tr") == "tr"
    assert negotiate("de, en;q=0.5", None, default="az") == "en"


def test_event_times_read_naturally_in_each_language():
    args = ("2026-06-12T19:00:00+03:00", "2026-06-12T23:30:00+03:00", "Europe/Istanbul")
    assert format_event_time(*args, "tr") == "12 Haziran 2026, 19:00–23:30 (GMT+3)"
    assert format_event_time(*args, "az") == "12 iyun 2026, 19:00–23:30 (GMT+3)"
    assert format_event_time(*args, "en") == "12 June 2026, 19:00–23:30 (GMT+3)"


def test_an_event_over_midnight_shows_both_dates_in_the_events_own_zone():
    text = format_event_time("2026-08-21T16:00:00Z", "2026-08-21T22:00:00Z", "Asia/Baku", "az")
    assert text == "21 avqust 2026, 20:00 – 22 avqust 2026, 02:00 (GMT+4)"
