"""The registrations of an event as a CSV file an organiser opens in Excel.

- UTF-8 with a byte-order mark: without it Excel reads the file as the local ANSI code page and
  turns "Şengül Əliyeva" into mojibake.
- Fixed columns first (`checked_in`: entered on at least one check-in list), then one
  `answers.<field>` column per property of the event's form, in the form's order; a list answer is
  joined with "; ".
- The separator is the one the organiser's Excel expects when it opens a .csv by double-click: its
  "list separator", which Turkish and Azerbaijani Windows set to ";" (the decimal separator there is
  ","), so a comma file would open as one column. Chosen by `?sep=`, else by the organiser's
  language (`?lang=`, else Accept-Language): ";" for tr and az, "," otherwise.
- Control characters typed or pasted into answers (NUL, bell, escape...) are removed; a tab becomes
  a space and a line break stays one ("\n"), so multi-line answers keep their lines.
- Formula injection (OWASP's CSV injection guidance): a cell starting with = + - @ (after any
  spaces, line breaks or invisible format characters such as a byte-order mark, which do not hide
  the formula from a spreadsheet) is prefixed with a single quote, so `=HYPERLINK(...)` typed into a
  form is shown as text instead of being run by the organiser's spreadsheet. The same goes for such
  a start after either separator inside a cell (`x;=1+1`): a comma file opened by a Turkish Excel
  is split on ";", and the text after it starts a cell there; it gets its quote too (`x;'=1+1`).
  Tab and carriage return, triggers of their own, never reach the file (see above).
- A cell holding either separator, a quote or a line break is quoted, whichever separator the file uses.

"Streamed" here means generated page by page: registrations are read one `by_event` Query page
(at most 1 MB) at a time and written through the csv module into one text buffer, so memory holds
one page plus the output (measured by bench/export.py). API Gateway and Lambda cannot stream a
response body, so the whole file is still answered at once, which also caps it at Lambda's 6 MB
response size (about 30,000 registrations with a short form: 10,000 make 1.8 MB); beyond that the
file would have to go to S3 behind a signed link.
"""
from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.common import clock
from chalicelib.common.errors import ValidationError
from chalicelib.events import events
from chalicelib.storage.models import Registration
from chalicelib.storage.tables import Tables

BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
PAGE_SIZE = None  # DynamoDB's own pages of up to 1 MB: the fewest round trips, memory still bounded
FIXED_COLUMNS = ("id", "status", "ticket_type", "name", "email", "language", "created_at",
                 "consent_at", "email_status", "checked_in", "first_entry_at", "erased")
_FORMULA_STARTS = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_SEPARATOR_CHARS = (",", ";")  # both: the file may be opened with either as its separator
_NEEDS_QUOTES = re.compile(r'[,;"\r\n]')
SEPARATORS = {",": ",", "comma": ",", ";": ";", "semicolon": ";"}
_LIST_SEPARATOR = {"tr": ";", "az": ";", "en": ","}  # Windows' list separator in each locale


def separator(sep: str | None, language: str) -> str:
    """`?sep=` (`,`/`comma` or `;`/`semicolon`) if given, else what Excel in `language` expects."""
    if sep is None:
        return _LIST_SEPARATOR.get(language, ",")
    if sep.strip().lower() not in SEPARATORS:
        raise ValidationError.field("sep", "error.choose_one", choices="comma, semicolon")
    return SEPARATORS[sep.strip().lower()]


def export(db: Tables, event_id: str, delimiter: str = ",") -> str:
    """The whole CSV text, BOM included. 404 for an unknown event."""
    event = events.load(db, event_id)
    fields = list(event["form"].get("properties", {}))
    zone = ZoneInfo(event["timezone"])
    buffer = io.StringIO()
    buffer.write(BOM)
    buffer.write(_line((*FIXED_COLUMNS, *(f"answers.{f}" for f in fields)), delimiter))
    for registration in db.Registration.by_event.query(event_id, page_size=PAGE_SIZE):
        buffer.write(_line(_row(registration, fields, zone), delimiter))
    return buffer.getvalue()


def _line(cells: Iterable[object], delimiter: str) -> str:
    """One CSV record (RFC 4180, CRLF): cells made safe, and quoted when they hold either separator
    (the csv module quotes only the file's own), a quote or a line break."""
    return delimiter.join(_quoted(safe(cell)) for cell in cells) + "\r\n"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def filename(event_id: str) -> str:
    return f"{event_id}-registrations.csv"


def safe(value: object) -> str:
    """The cell's text without control characters, neutralised where a spreadsheet would read a formula:
    at its start, and after either separator inside it (where a file split on the other one starts a cell)."""
    text = _text(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch in _SEPARATOR_CHARS]
    guarded = [start for start in starts if _formula_at(text, start)]
    for start in reversed(guarded):
        text = text[:start] + "'" + text[start:]
    return text


def _formula_at(text: str, start: int) -> bool:
    """Whether a cell starting at `start` would be a formula: a trigger after anything a spreadsheet
    skips or does not show (spaces, line breaks, format characters such as U+FEFF, and inside a cell
    the quote that would open a quoted cell)."""
    for ch in text[start:]:
        if ch in _FORMULA_STARTS:
            return True
        if not (ch.isspace() or unicodedata.category(ch) == "Cf" or (ch == '"' and start > 0)):
            return False
    return False


def _row(registration: Registration, fields: list[str], zone: ZoneInfo) -> list[Any]:
    answers = registration.answers or {}
    return [registration.id, registration.status, registration.ticket_type, registration.name,
            registration.email, registration.language, _local(registration.created_at, zone),
            _local(registration.consent_at, zone), registration.email_status,
            registration.first_entry_at is not None, _local(registration.first_entry_at, zone),
            registration.erased, *(answers.get(f) for f in fields)]


def _local(value: str | None, zone: ZoneInfo) -> str | None:
    """Times in the event's own zone (with its offset), which is how organisers read them."""
    return clock.parse_iso(value).astimezone(zone).isoformat(timespec="seconds") if value else None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
