"""The pages' CSS, script and icon: files in `static/`, served by name from a fixed list.

Only the names below are served, with their own content types; anything else is 404, so no path
ever reaches the file system. Pages link each file with a hash of its content
(`/static/kapi.css?v=…`), so a browser may keep it for a year and still gets the new file after
a deploy changes it; a request without the current hash is told to revalidate.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from chalice import Response

from chalicelib.errors import NotFound

_DIRECTORY = Path(__file__).with_name("static")
CONTENT_TYPES = {
    "kapi.css": "text/css; charset=utf-8",
    "ticket.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}


@functools.cache
def _file(name: str) -> tuple[str, str]:
    """The file's text and the hash pages put in its URL, read once per process."""
    text = (_DIRECTORY / name).read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def url(name: str) -> str:
    return f"/static/{name}?v={_file(name)[1]}"


def response(name: str, version: str | None) -> Response:
    if name not in CONTENT_TYPES:
        raise NotFound("No such file.")
    text, digest = _file(name)
    cache = "public, max-age=31536000, immutable" if version == digest else "no-cache"
    return Response(body=text, headers={"Content-Type": CONTENT_TYPES[name], "Cache-Control": cache,
                                        "X-Content-Type-Options": "nosniff"})
