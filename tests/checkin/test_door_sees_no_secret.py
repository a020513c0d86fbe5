"""SPEC §16 "The door never sees secrets": the name search gives registration ids, and a door token admits
a person it found with `{registration_id, type, nonce?}`, judged as SPEC §7 says and audited as manual."""
import json

from tests.checkin.conftest import nonce


def search(door, gate, query):
    response = door.api.get(f"/api/events/{door.event_id}/checkin-lists/{gate['id']}/search", params={"q": query},
                            token=door.scanner)
    assert response.status_code == 200, response.text
    return response


def strings(value):
    """Every key and string value of a JSON document, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def admit(door, gate, registration_id, **fields):
    return door.api.post(f"/api/events/{door.event_id}/checkin-lists/{gate['id']}/scans",
                         json={"registration_id": registration_id, "type": "entry", **fields}, token=door.scanner)


def test_a_scanners_search_holds_no_secret(door, local_run, db):
    gate = door.make_list()
    people = [door.register(name=name) for name in ("Şengül Kaya", "Şengül Aydın")]
    response = search(door, gate, "sengul")
    assert sorted(item["registration_id"] for item in response.json()["items"]) == sorted(p["id"] for p in people)
    for person in people:
        for secret in local_run.secrets(db, person["id"]):  # the ticket secret and the manage secret
            assert secret.lower() not in response.text.lower()
            assert not [text for text in strings(response.json()) if secret.lower() in text.lower()]
    assert "secret" not in json.dumps(response.json())


def test_what_a_scanner_finds_cancels_nothing_and_opens_no_page(door, api):
    gate = door.make_list()
    person = door.register(name="Rəşad Quliyev")
    found = search(door, gate, "resad").json()
    for text in set(strings(found)):
        assert api.post(f"/api/tickets/{text}/cancel").status_code == 404, text
        assert api.get(f"/api/tickets/{text}").status_code == 404, text
        assert api.get(f"/t/{text}").status_code == 404, text
    shown = api.get(f"/api/events/{door.event_id}/registrations/{person['id']}", token=api.admin_token).json()
    assert shown["status"] == "confirmed"


def test_an_admission_by_registration_id_is_a_scan_audited_as_manual(door):
    gate = door.make_list(name="Ana kapı")
    person = door.register(name="İlkin Işık")
    [found] = search(door, gate, "ilkin").json()["items"]
    key = nonce()
    admitted = admit(door, gate, found["registration_id"], nonce=key)
    assert admitted.status_code == 201, admitted.text
    body = admitted.json()
    assert body == {"status": "ok", "type": "entry", "attendee": {"name": "İlkin Işık", "ticket_type": "std"},
                    "checkin": {"at": body["checkin"]["at"], "forced": False},
                    "list": {"id": gate["id"], "name": "Ana kapı"}}
    assert admit(door, gate, found["registration_id"], nonce=key).json() == body  # a repeated nonce: the first answer
    again = admit(door, gate, found["registration_id"])
    assert again.status_code == 400 and again.json()["reason"] == "already_redeemed"
    assert door.scan(gate, person["secret"]).json()["reason"] == "already_redeemed"  # one ticket, one entry
    assert door.status(gate)["checkin_count"] == 1

    [entry, refused] = [scan for scan in door.audit() if scan.registration_id == person["id"] and scan.manual]
    assert (entry.ok, entry.type, entry.forced, entry.list_id) == (True, "entry", False, gate["id"])
    assert (refused.ok, refused.reason) == (False, "already_redeemed")
    assert entry.token_id and entry.token_id == refused.token_id and entry.token_id in door.scanner
    [by_qr] = [scan for scan in door.audit() if scan.registration_id == person["id"] and not scan.manual]
    assert by_qr.token_id == entry.token_id and by_qr.manual is None


def test_an_admission_by_registration_id_keeps_the_doors_reasons(door):
    gate = door.make_list(ticket_types=["std"])
    cancelled, vip = door.register(name="Elvin Nəsibov"), door.register("vip", name="Elvira Hüseynova")
    door.move(cancelled, "cancel")
    assert admit(door, gate, cancelled["id"]).json()["reason"] == "canceled"
    assert admit(door, gate, vip["id"]).json()["reason"] == "product"
    unknown = admit(door, gate, "a" * 16)
    assert unknown.status_code == 404 and unknown.json()["reason"] == "invalid"
    assert admit(door, gate, "not an id").status_code == 404
    exit_ = admit(door, gate, cancelled["id"], type="exit")
    assert exit_.status_code == 201  # exits are always let through


def test_an_admission_by_registration_id_takes_only_type_and_nonce(door):
    gate = door.make_list()
    person = door.register()
    for extra, field in (({"force": True}, "force"), ({"offline": True}, "offline"),
                         ({"scanned_at": door.hours.at("1:00")}, "scanned_at"),
                         ({"secret": person["secret"]}, "registration_id")):
        refused = admit(door, gate, person["id"], **extra)
        assert refused.status_code == 400, refused.text
        assert [d["field"] for d in refused.json()["details"]] == [field]
    empty = admit(door, gate, "")
    assert empty.status_code == 400 and [d["field"] for d in empty.json()["details"]] == ["registration_id"]
    assert door.status(gate)["checkin_count"] == 0
