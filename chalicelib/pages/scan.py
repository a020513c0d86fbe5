"""The door scanner, `/scan`, and its service worker, `/scan/sw.js`.

The shell is server-rendered in the steward's language with every label in place; the scanner
itself is the ES modules in `static/scan/` (one per concern: main, camera, decoder worker, offline
store, sync, verdict, sound, crypto, offline decision) and the pages' shared ones in
`static/shared/` (API calls, texts). The texts they show later (verdicts, reasons, connection,
queue) travel in the shell as one JSON attribute, so the page works offline in the language it was
opened in.

The service worker is served from `/scan/sw.js` with `Service-Worker-Allowed: /scan`, so its scope
covers the page `/scan` itself (a worker's default scope is its own folder, `/scan/`). Under API
Gateway's stage path all of these are `/dev/scan…`, like every URL here (`web.app_url`). Its precache
list (the shell, the modules, the vendored decoder and its wasm) is written into the script with
each file's content hash: any change to a file changes the script, and browsers install the new
worker, which fetches the new files and drops the old cache.

The page's CSP adds `'wasm-unsafe-eval'` to `script-src`: the QR decoder is WebAssembly, and
Chromium refuses to compile wasm under a plain `script-src 'self'`. `connect-src 'self'` keeps
every request on this origin.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from chalice.app import Response

from chalicelib.http.web import app_url, request_base
from chalicelib.i18n import SUPPORTED, catalogue, negotiate, translate
from chalicelib.pages import CONTENT_SECURITY_POLICY, html_page, render, static

SCOPE = "/scan"
WORKER_PATH = "/scan/sw.js"
MODULES = ("scan/main.js",)
STYLES = ("scan/scan.css",)
# Files the page needs with no network: its own, the pages' shared modules (API calls, texts), the
# decoder (JS + wasm), the Ed25519 fallback.
OFFLINE_PREFIXES = ("scan/", "shared/", "vendor/barcode-detector/", "vendor/zxing-wasm/", "vendor/noble-ed25519/")
OFFLINE_FILES = ("kapi.css", "icon.svg")
WASM = "vendor/zxing-wasm/zxing_reader.wasm"
CSP = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'") + \
    "; connect-src 'self'; worker-src 'self'"
_WORKER_SOURCE = Path(__file__).with_name("static") / "scan" / "sw.js"


def scan_page(query_lang: str | None, accept_language: str | None) -> Response:
    language = negotiate(accept_language, query_lang)

    def text(key: str, **params: object) -> str:
        return translate(f"scan.{key}", language, **params)

    content = render(
        "scan.html",
        texts=json.dumps(client_texts(language), ensure_ascii=False, separators=(",", ":")),
        decoder_url=static.url("scan/decoder.js"), wasm_url=static.url(WASM),
        ed25519_url=static.url("vendor/noble-ed25519/index.js"), sw_url=app_url(WORKER_PATH),
        scope=app_url(SCOPE),
        title=text("title"), signin_heading=text("signin.heading"), signin_lead=text("signin.lead"),
        token_label=text("signin.token"), signin_submit=text("signin.submit"),
        signin_scan_qr=text("signin.scan_qr"), setup_heading=text("setup.heading"), online=text("online.true"),
        event_label=text("event"), list_label=text("list"), mode_label=text("mode"),
        mode_entry=text("mode.entry"), mode_exit=text("mode.exit"), hold_label=text("hold"),
        hold_short=text("hold.seconds", seconds=3), hold_long=text("hold.seconds", seconds=6),
        hold_next=text("hold.next"), counts_heading=text("counts.heading"),
        count_checkin=text("counts.checkin"), count_inside=text("counts.inside"),
        camera_label=text("camera.label"), camera_start=text("camera.start"), camera_stop=text("camera.stop"),
        camera_switch=text("camera.switch"), camera_torch=text("camera.torch"), code_label=text("code"),
        code_hint=text("code.hint"), code_submit=text("code.submit"), search_heading=text("search.heading"),
        search_label=text("search.q"), search_submit=text("search.submit"),
        conflicts_heading=text("conflicts.heading"), conflicts_lead=text("conflicts.lead"),
        signout=text("signout"), signout_confirm=text("signout.confirm"), signout_no=text("signout.no"),
        signout_yes=text("signout.yes"), verdict_offline=text("verdict.offline"),
        verdict_dismiss=text("verdict.dismiss"),
    )
    return html_page(language=language, title=text("title"), content=content, modules=MODULES, styles=STYLES,
                     headers={"Content-Security-Policy": CSP})


def client_texts(language: str) -> dict[str, str]:
    """The texts the scripts show (templates, placeholders unfilled): this page's and the door's reasons."""
    english, own = catalogue("en"), catalogue(language)
    return {key: own.get(key, text) for key, text in english.items() if key.startswith(("scan.", "checkin.reason."))}


def service_worker() -> Response:
    return Response(body=_worker_script(request_base()), headers={
        "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache",
        "Service-Worker-Allowed": app_url(SCOPE), "X-Content-Type-Options": "nosniff"})


@functools.cache
def _worker_script(base: str) -> str:
    """The worker's source after its precache list: every offline file, by plain and hashed URL, all
    under the request's base path `base` (a stage prefix, `web.app_url`), one script per base."""
    files = sorted(path for path in static.paths()
                   if (path.startswith(OFFLINE_PREFIXES) or path in OFFLINE_FILES)
                   and path != "scan/sw.js" and not path.endswith("manifest.json"))
    scope = base + SCOPE
    urls = [scope] + [f"{scope}?lang={code}" for code in SUPPORTED]
    for path in files:
        urls += [f"{base}/static/{path}", static.url(path)]
    version = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]
    header = (f"const SCOPE = {json.dumps(scope)};\nconst STATIC = {json.dumps(base + '/static/')};\n"
              f"const CACHE = \"kapi-scan-{version}\";\n"
              f"const PRECACHE = {json.dumps(urls, indent=0)};\n")
    return header + _WORKER_SOURCE.read_text(encoding="utf-8")
