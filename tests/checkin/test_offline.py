"""Offline scanners upload queued scans in batches: per-scan answers, scan-time order, idempotent."""
from chalicelib.checkin import counts
from chalicelib.storage.models import Registration


def snapshot(door, gate, registrations):
    """Everything a batch can change: the tickets' door state, the list's counts, the audit log."""
    states = {r["id"]: Registration.get(r["id"], consistent_read=True).checkins.as_dict() for r in registrations}
    log = sorted((s.id, s.ok, s.reason) for s in door.audit())
    return states, counts.read(door.event_id, gate["id"]), log


def test_a_batch_is_answered_in_request_order_applied_in_scan_order_and_idempotent(door):
    at = door.hours.at
    gate = door.make_list()
    walker, twice, cancelled = door.register(), door.register(), door.register()
    door.move(cancelled, "cancel")
    forged = walker["secret"][:-4] + "AAAA"
    scans = [
        {"secret": walker["secret"], "type": "entry", "nonce": "w3", "scanned_at": at("1:00")},
        {"secret": twice["secret"], "type": "entry", "nonce": "t2", "scanned_at": at("0:06")},
        {"secret": walker["secret"], "type": "entry", "nonce": "w1", "scanned_at": at("0:00")},
        {"secret": forged, "type": "entry", "nonce": "f1", "scanned_at": at("0:01")},
        {"secret": twice["secret"], "type": "entry", "nonce": "t1", "scanned_at": at("0:05")},
        {"secret": walker["secret"], "type": "exit", "nonce": "w2", "scanned_at": at("0:30")},
        {"secret": twice["secret"], "type": "entry", "nonce": "t1", "scanned_at": at("0:05")},  # sent twice
        {"secret": cancelled["secret"], "type": "entry", "nonce": "c1", "scanned_at": at("0:10")},
        {"secret": cancelled["secret"], "type": "entry", "nonce": "c2", "scanned_at": at("0:11"), "force": True},
    ]
    response = door.batch(gate, scans)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    outcomes = [(r["status"], r.get("reason")) for r in results]
    assert outcomes == [("ok", None), ("error", "already_redeemed"), ("ok", None), ("error", "invalid"),
                        ("ok", None), ("ok", None), ("ok", None), ("error", "canceled"), ("ok", None)]
    assert results[6] == results[4]  # the duplicate nonce answers like the first
    assert results[0]["checkin"]["at"] == at("1:00") and results[8]["checkin"]["forced"] is True
    walker_state = Registration.get(walker["id"]).checkins.as_dict()[gate["id"]]
    assert (walker_state["entries"], walker_state["exits"], walker_state["last_type"]) == (2, 1, "entry")
    assert walker_state["first_at"] == at("0:00") and walker_state["last_scanned_at"] == at("1:00")
    status = door.status(gate)
    assert (status["checkin_count"], status["inside_count"]) == (3, 3)
    door_counts = counts.read(door.event_id, gate["id"])
    first_hour, second_hour = (f"arrivals__{door.hours.moment(at):%Y%m%d%H}" for at in ("0:00", "1:00"))
    assert (door_counts[first_hour], door_counts[second_hour]) == (3, 1)

    before = snapshot(door, gate, [walker, twice, cancelled])
    again = door.batch(gate, scans)
    assert again.status_code == 200 and again.json()["results"] == results
    assert snapshot(door, gate, [walker, twice, cancelled]) == before


def test_a_malformed_batch_names_each_bad_scan(door):
    gate = door.make_list()
    response = door.batch(gate, [{"secret": "X"}, {"type": "entry"}, {"secret": "Y", "scanned_at": "yesterday"}])
    assert response.status_code == 400
    assert [d["field"] for d in response.json()["details"]] == ["scans.1.secret", "scans.2.scanned_at"]
    empty = door.api.post(f"/api/events/{door.event_id}/checkin-lists/{gate['id']}/scans/batch", json={"scans": []},
                          token=door.scanner)
    assert empty.status_code == 400 and empty.json()["details"][0]["field"] == "scans"
