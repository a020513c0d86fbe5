"""The dashboard shell over plain HTTP: localised, strict headers, the texts its scripts need, and the
vendored QR library matching its manifest."""
import hashlib
import html
import json
import re
from pathlib import Path

import pytest

from chalicelib.i18n import catalogue

VENDOR = Path(__file__).resolve().parents[2] / "chalicelib" / "pages" / "static" / "vendor" / "qrcode-generator"


@pytest.mark.parametrize("language", ["tr", "az", "en"])
def test_the_shell_is_localised_and_carries_its_texts_and_hooks(api, language):
    page = api.get(f"/dashboard?lang={language}")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert f'<html lang="{language}" data-base="">' in page.text
    assert 'name="token"' in page.text and 'data-action="export"' in page.text and 'name="q"' in page.text
    texts = json.loads(html.unescape(re.search(r'data-texts="([^"]*)"', page.text).group(1)))
    expected = {key: text for key, text in catalogue(language).items() if key.startswith("dashboard.")}
    assert texts == expected and len(texts) > 100
    module = re.search(r'<script type="module" src="(/static/dashboard/main\.js\?v=\w+)"', page.text).group(1)
    assert api.get(module).headers["Content-Type"].startswith("text/javascript")


def test_the_vendored_qr_library_matches_its_manifest(api):
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    assert (manifest["name"], manifest["license"]) == ("qrcode-generator", "MIT")
    assert set(manifest["files"]) == {p.name for p in VENDOR.iterdir()} - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == entry["sha256"]
        assert api.get(f"/static/vendor/qrcode-generator/{name}").status_code == 200
