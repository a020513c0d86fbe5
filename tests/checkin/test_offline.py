"""Offline scanners upload queued scans in batches: per-scan answers, scan-time order, idempotent."""
import base64

import pytest

from chalicelib.checkin import counts


def snapshot(db, door, gate, registrations):
    """Everything a batch can change: the tickets' door state, the list's counts, the audit log."""
    states = {r["id"]: db.Registration.get(r["id"], consistent_read=True).checkins.as_dict() for r in registrations}
    log = sorted((s.id, s.ok, s.reason) for s in door.audit())
    return states, counts.read(db, door.event_id, gate["id"]), log


def test_a_batch_is_answered_in_request_order_applied_in_scan_order_and_idempotent(db, door):
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
    walker_state = db.Registration.get(walker["id"]).checkins.as_dict()[gate["id"]]
    assert (walker_state["entries"], walker_state["exits"], walker_state["last_type"]) == (2, 1, "entry")
    assert walker_state["first_at"] == at("0:00") and walker_state["last_scanned_at"] == at("1:00")
    status = door.status(gate)
    assert (status["checkin_count"], status["inside_count"]) == (3, 3)
    door_counts = counts.read(db, door.event_id, gate["id"])
    first_hour, second_hour = (f"arrivals__{door.hours.moment(at):%Y%m%d%H}" for at in ("0:00", "1:00"))
    assert (door_counts[first_hour], door_counts[second_hour]) == (3, 1)

    before = snapshot(db, door, gate, [walker, twice, cancelled])
    again = door.batch(gate, scans)
    assert again.status_code == 200 and again.json()["results"] == results
    assert snapshot(db, door, gate, [walker, twice, cancelled]) == before


def test_a_malformed_batch_names_each_bad_scan(door):
    gate = door.make_list()
    response = door.batch(gate, [{"secret": "X"}, {"type": "entry"}, {"secret": "Y", "scanned_at": "yesterday"}])
    assert response.status_code == 400
    assert [d["field"] for d in response.json()["details"]] == ["scans.1.secret", "scans.2.scanned_at"]
    empty = door.api.post(f"/api/events/{door.event_id}/checkin-lists/{gate['id']}/scans/batch", json={"scans": []},
                          token=door.scanner)
    assert empty.status_code == 400 and empty.json()["details"][0]["field"] == "scans"


def attendance(door) -> dict:
    response = door.api.get(f"/api/events/{door.event_id}/attendance", token=door.api.admin_token)
    assert response.status_code == 200, response.text
    return response.json()


def offline_entry(door, secret: str, nonce: str, since_opening: str) -> dict:
    return {"secret": secret, "type": "entry", "nonce": nonce, "scanned_at": door.hours.at(since_opening),
            "force": True, "offline": True}


def test_two_gates_admitting_one_ticket_offline_record_both_and_report_one_conflict(db, door):
    gate = door.make_list(name="Kuzey kapısı")
    guest, cancelled = door.register(name="Gülşən Əliyeva"), door.register()
    door.move(cancelled, "cancel")
    first = door.batch(gate, [offline_entry(door, guest["secret"], "a1", "0:00")]).json()["results"]
    assert first[0]["status"] == "ok" and "conflict" not in first[0]

    second_scans = [offline_entry(door, guest["secret"], "b1", "0:02"),
                    offline_entry(door, cancelled["secret"], "b2", "0:03")]
    second = door.batch(gate, second_scans).json()["results"]
    assert [r["status"] for r in second] == ["ok", "ok"]
    assert second[0]["attendee"]["name"] == "Gülşən Əliyeva"
    assert second[0]["conflict"] == {"reason": "already_redeemed",
                                     "first_entry": {"at": door.hours.at("0:00"), "list": gate["id"]}}
    assert second[1]["conflict"] == {"reason": "canceled", "first_entry": None}
    assert second[0]["checkin"]["forced"] is True
    state = db.Registration.get(guest["id"]).checkins.as_dict()[gate["id"]]
    assert (state["entries"], state["inside"]) == (2, True)  # both gates' entries are on record
    status = door.status(gate)
    assert (status["checkin_count"], status["inside_count"]) == (2, 2)  # tickets, not scans
    assert attendance(door)["offline_conflicts"] == 2

    again = door.batch(gate, second_scans).json()["results"]  # the device retries after a lost answer
    assert again == second
    assert attendance(door)["offline_conflicts"] == 2


def test_offline_still_refuses_forged_codes_and_online_force_is_no_conflict(door):
    gate = door.make_list()
    guest = door.register()
    forged = guest["secret"][:-4] + "AAAA"
    results = door.batch(gate, [offline_entry(door, forged, "f1", "0:00"),
                                {**offline_entry(door, guest["secret"], "g1", "0:01"), "offline": False},
                                {**offline_entry(door, guest["secret"], "g2", "0:02"), "offline": False}]).json()["results"]
    assert [(r["status"], r.get("reason")) for r in results] == [("error", "invalid"), ("ok", None), ("ok", None)]
    assert "conflict" not in results[2] and results[2]["checkin"]["forced"] is True
    assert attendance(door)["offline_conflicts"] == 0
    bad = door.batch(gate, [{**offline_entry(door, guest["secret"], "g3", "0:03"), "offline": "yes"}])
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "scans.0.offline"


def test_the_bundle_seals_each_name_under_its_own_tickets_secret(door):
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def open_name(secret: str, registration_id: str, sealed: str) -> str:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"kapi-name-v1\0" + door.event_id.encode()).derive(secret.encode())
        raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        return AESGCM(key).decrypt(raw[:12], raw[12:], registration_id.encode()).decode()

    ayse, vip, erased = door.register(name="Ayşe Işıklı"), door.register("vip", name="Əli İlkin"), door.register()
    door.move(erased, "cancel")  # an active registration is not erased before its event ends
    assert door.api.delete(f"/api/events/{door.event_id}/registrations/{erased['id']}",
                           token=door.api.admin_token).status_code == 204
    bundle = door.api.get(f"/api/events/{door.event_id}/offline-bundle", token=door.scanner).json()
    assert set(bundle["tickets"]) == {ayse["id"], vip["id"]}  # erased registrations are left out
    assert bundle["tickets"][ayse["id"]][0] == "std" and bundle["tickets"][vip["id"]][0] == "vip"
    assert open_name(ayse["secret"], ayse["id"], bundle["tickets"][ayse["id"]][1]) == "Ayşe Işıklı"
    assert open_name(vip["secret"], vip["id"], bundle["tickets"][vip["id"]][1]) == "Əli İlkin"
    with pytest.raises(InvalidTag):  # another ticket's secret opens nothing
        open_name(ayse["secret"], vip["id"], bundle["tickets"][vip["id"]][1])
    assert "Ayşe" not in str(bundle) and "Işıklı" not in str(bundle) and "email" not in str(bundle)
