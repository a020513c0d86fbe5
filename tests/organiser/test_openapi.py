"""The OpenAPI document: valid, served as written, and describing exactly the routes the app declares."""
import json
from pathlib import Path

from openapi_spec_validator import validate

from app import app

DOCUMENT = Path(__file__).resolve().parents[2] / "chalicelib" / "http" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def document() -> dict:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def test_the_document_is_valid_openapi():
    validate(document())


def test_every_route_of_the_app_and_only_those_with_the_same_methods():
    declared = {path: {method.lower() for method in entries} for path, entries in app.routes.items()}
    described = {path: set(item) & METHODS for path, item in document()["paths"].items()}
    assert described == declared


def test_every_operation_documents_its_errors_with_the_error_shape():
    doc = document()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (method, path)
            if operation["security"] and operation["security"] != [{}, {"bearer": []}]:
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path or operation.get("requestBody"):
                assert codes & {"400", "404"}, (method, path)


def test_served_at_api_openapi_json(api):
    response = api.get("/api/openapi.json")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    assert response.json() == document()
