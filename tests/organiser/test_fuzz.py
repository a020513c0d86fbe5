"""Property-based fuzzing of the whole API from its OpenAPI document, with all of schemathesis's
checks: no 5xx, and every answer's status code, content type, headers and body as the document says.

Schemathesis generates valid and invalid requests for every operation of chalicelib/http/openapi.json
and sends them, with the admin token, to the local run over HTTP. This is a bounded run for the
suite (a few examples per operation); the README says how to run a longer one by hand.
"""
import os
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

DOCUMENT = Path(__file__).resolve().parents[2] / "chalicelib" / "http" / "openapi.json"
EXAMPLES_PER_OPERATION = int(os.environ.get("KAPI_FUZZ_EXAMPLES", "12"))

# Every check is on. Two are told what the document cannot say: a schema-valid request may still be
# a 400 where the API checks rules across fields (an event's `ends_at` after its `starts_at`, a real
# IANA time zone, a form that is itself a valid JSON Schema), and invalid data may be refused with
# 413 (a body over 64 KiB is refused before it is read) as well as with the usual 4xx.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"checks": {
    "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", 400, 401, 403, 404, 409, 429]},
    "negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]},
}})
schema = schemathesis.openapi.from_path(DOCUMENT, config=CONFIG)


@schema.parametrize()
# Derandomised so that a CI run is reproducible; the longer manual run in the README explores at random.
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
def test_every_answer_is_as_the_document_says(case, api):
    case.call_and_validate(base_url=api.base_url, headers={"Authorization": f"Bearer {api.admin_token}"})
