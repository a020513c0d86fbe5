"""The scanner's shell, service worker, event picker and vendored files over HTTP."""
import hashlib
import json
from pathlib import Path

import pytest

from tests.api.test_tokens import make_token

VENDOR = Path(__file__).resolve().parents[2] / "chalicelib" / "pages" / "static" / "vendor"


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_the_shell_has_the_hooks_in_the_language_asked_for(api, language):
    page = api.get(f"/scan?lang={language}")
    assert page.status_code == 200
    assert f'<html lang="{language}" data-base="">' in page.text
    for hook in ('name="token"', 'name="event"', 'name="list"', 'name="mode" value="entry"', 'name="mode" value="exit"',
                 'name="code"', 'id="verdict"', "data-online=", "data-queue=", 'data-count="checkin"',
                 'data-count="inside"'):
        assert hook in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp and "connect-src 'self'" in csp


def test_the_service_worker_covers_the_page_and_precaches_the_decoder(api):
    worker = api.get("/scan/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/scan"
    precache = json.loads(worker.text.split("const PRECACHE = ", 1)[1].split(";\n", 1)[0])
    assert "/scan" in precache
    for path in ("/static/vendor/zxing-wasm/zxing_reader.wasm", "/static/scan/decoder.js", "/static/scan/main.js",
                 "/static/vendor/barcode-detector/ponyfill.js", "/static/vendor/noble-ed25519/index.js"):
        assert path in precache
        assert api.get(path).status_code == 200
    wasm = api.get("/static/vendor/zxing-wasm/zxing_reader.wasm")
    assert wasm.headers["Content-Type"] == "application/wasm" and wasm.content[:4] == b"\0asm"


def test_door_events_are_the_tokens_scope(api, make_event):
    mine, other = make_event(), make_event()
    scanner = make_token(api, "scanner", [mine["id"]])["token"]
    answer = api.get("/api/door/events", token=scanner)
    assert answer.status_code == 200
    assert answer.json() == {"items": [{name: mine[name] for name in ("id", "name", "starts_at", "ends_at", "timezone")}]}
    assert other["id"] in [e["id"] for e in api.get("/api/door/events", token=api.admin_token).json()["items"]]
    assert api.get("/api/door/events").status_code == 401


@pytest.mark.parametrize("package", sorted(p.name for p in VENDOR.iterdir() if p.is_dir()))
def test_vendored_files_match_their_manifest(package):
    manifest = json.loads((VENDOR / package / "manifest.json").read_text())
    assert manifest["name"] and manifest["version"] and manifest["license"]
    on_disk = {p.name for p in (VENDOR / package).iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((VENDOR / package / name).read_bytes()).hexdigest() == entry["sha256"]
