"""The pages' CSS, scripts, icons and vendored libraries: the files under `static/`, served by path.

The set of servable paths is the directory as packaged, walked once; a request for any other path
is 404, so a URL never reaches the file system. The content type comes from a fixed table of
suffixes, and a file whose suffix is not in it is not served at all. Pages link each file with a
hash of its content (`/static/kapi.css?v=…`), so a browser may keep it for a year and still gets
the new file after a deploy changes it; a request without the current hash is told to revalidate.
ES modules import each other by relative path without a hash, and revalidate.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from chalice.app import Response

from chalicelib.common.errors import NotFound
from chalicelib.http.web import app_url

_DIRECTORY = Path(__file__).with_name("static")
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".wasm": "application/wasm",
}
# Not text: API Gateway must count these as binary (app.api.binary_types, which also lists "*/*":
# every file goes out as its exact bytes, base64-encoded by Chalice, see chalicelib/http/web.py).
BINARY_TYPES = ("image/png", "application/wasm")


@functools.cache
def paths() -> frozenset[str]:
    """Every servable path, relative to `static/` with forward slashes."""
    return frozenset(path.relative_to(_DIRECTORY).as_posix() for path in _DIRECTORY.rglob("*")
                     if path.is_file() and path.suffix in CONTENT_TYPES)


@functools.cache
def _file(name: str) -> tuple[bytes, str]:
    """The file's bytes and the hash pages put in its URL, read once per process."""
    content = (_DIRECTORY / name).read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:12]


def content_type(name: str) -> str:
    return CONTENT_TYPES[Path(name).suffix]


def url(name: str) -> str:
    """The file's URL with its hash, under this request's base path (a stage prefix, `web.app_url`)."""
    return app_url(f"/static/{name}?v={_file(name)[1]}")


def response(name: str, version: str | None) -> Response:
    if name not in paths():
        raise NotFound("error.file.not_found")
    content, digest = _file(name)
    kind = content_type(name)
    cache = "public, max-age=31536000, immutable" if version == digest else "no-cache"
    return Response(body=content, headers={"Content-Type": kind, "Cache-Control": cache,
                                           "X-Content-Type-Options": "nosniff"})
