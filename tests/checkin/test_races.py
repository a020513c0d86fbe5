"""Many gates, one ticket, the same instant, on the running local stack: exactly one entry."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.checkin import counts
from tests.api.test_tokens import make_token
from tests.checkin.conftest import nonce
from tests.stack import Api

ROUNDS = 5
GATES = 30


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_thirty_gates_scanning_one_ticket_admit_it_once(db, api, door, round_):
    gate = door.make_list()
    attendee = door.register()
    scanners = [door.scanner] + [make_token(api, "scanner", [door.event_id])["token"] for _ in range(2)]
    url = f"/api/events/{door.event_id}/checkin-lists/{gate['id']}/scans"

    def scan(n):
        client = Api(api.base_url, api.admin_token)  # a connection per gate
        return client.post(url, json={"secret": attendee["secret"], "type": "entry", "nonce": nonce()},
                           token=scanners[n % len(scanners)])

    with ThreadPoolExecutor(max_workers=GATES) as pool:
        responses = list(pool.map(scan, range(GATES)))
    assert sorted(r.status_code for r in responses) == [201] + [400] * (GATES - 1)
    assert {r.json()["reason"] for r in responses if r.status_code == 400} == {"already_redeemed"}
    status = door.status(gate)
    assert (status["checkin_count"], status["inside_count"]) == (1, 1)
    assert sum(v for k, v in counts.read(db, door.event_id, gate["id"]).items() if k.startswith("arrivals__")) == 1
    log = door.audit()
    assert len(log) == GATES and sum(s.ok for s in log) == 1
