"""Property-based fuzzing of the whole API from its OpenAPI document: no input gives a 5xx.

Schemathesis generates valid and invalid requests for every operation of chalicelib/openapi.json
and sends them, with the admin token, to the local run over HTTP. This is a bounded run for the
suite (a few examples per operation); the README says how to run a longer one by hand.
"""
import os
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

DOCUMENT = Path(__file__).resolve().parents[2] / "chalicelib" / "openapi.json"
EXAMPLES_PER_OPERATION = int(os.environ.get("KAPI_FUZZ_EXAMPLES", "12"))

schema = schemathesis.openapi.from_path(DOCUMENT)


@schema.parametrize()
# Derandomised so that a CI run is reproducible; the longer manual run in the README explores at random.
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)
def test_no_input_gives_a_server_error(case, api):
    case.call_and_validate(base_url=api.base_url, headers={"Authorization": f"Bearer {api.admin_token}"},
                           checks=[not_a_server_error])
