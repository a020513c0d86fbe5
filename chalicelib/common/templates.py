"""`string.Template` files with every value HTML-escaped unless it is `Markup`: the one template
engine of the pages and the emails.

`Markup` is only ever made by rendering a template (or by escaping), so text from users (names,
event names, venues) can never become markup wherever it is put.
"""
from __future__ import annotations

import functools
import html
from pathlib import Path
from string import Template


class Markup(str):
    """HTML built by `Templates.render` (or `escape`), inserted into another template as it is."""


def escape(text: str) -> Markup:
    return Markup(html.escape(text))


class Templates:
    """The templates of one folder, read once each."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    @functools.cache  # noqa: B019 - one instance per folder, kept for the process's life
    def _template(self, name: str) -> Template:
        return Template((self._folder / name).read_text(encoding="utf-8"))

    def render(self, name: str, /, **values: object) -> Markup:
        """HTML: every value escaped unless it is `Markup`."""
        return Markup(self._template(name).substitute(
            {key: value if isinstance(value, Markup) else html.escape(str(value)) for key, value in values.items()}))

    def text(self, name: str, /, **values: object) -> str:
        """Plain text (an email's text part): values as they are."""
        return self._template(name).substitute(values)
