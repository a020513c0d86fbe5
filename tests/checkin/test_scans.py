"""Door scans over HTTP against the local run: every reason, force, nonces, exits, lists, time windows."""
import base64

import pytest

from chalicelib.checkin import counts
from chalicelib.common.ids import new_registration_id
from chalicelib.events import counters
from chalicelib.organiser.reissue import reissue
from chalicelib.tickets import issuing
from chalicelib.tickets.secrets import Keyring, TicketSigner
from tests import dates
from tests.api.test_tokens import make_token
from tests.checkin.conftest import nonce
from tests.waiting import poll


def past_window() -> dict:
    """A list's validity window that closed yesterday."""
    return {"valid_from": dates.from_now(days=-1, hours=-9), "valid_until": dates.from_now(days=-1)}


def reason(response, status=400):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error" and set(body) <= {"status", "reason", "message", "attendee", "first_entry"}
    if body["reason"] == "already_redeemed":  # when and on which list the ticket first came in
        assert body["first_entry"] is None or set(body["first_entry"]) == {"at", "list"}
    else:
        assert "first_entry" not in body
    return body["reason"]


def test_an_entry_answers_the_spec_shape_and_counts(db, door):
    gate = door.make_list(name="Main gate")
    attendee = door.register(name="İlkin Işık")
    response = door.scan(gate, attendee["secret"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {"status": "ok", "type": "entry", "attendee": {"name": "İlkin Işık", "ticket_type": "std"},
                    "checkin": {"at": body["checkin"]["at"], "forced": False},
                    "list": {"id": gate["id"], "name": "Main gate"}}
    assert door.status(gate) == {
        "position_count": 1, "checkin_count": 1, "inside_count": 1,
        "by_ticket_type": {"std": {"position_count": 1, "checkin_count": 1, "inside_count": 1},
                           "vip": {"position_count": 0, "checkin_count": 0, "inside_count": 0}}}
    state = db.Registration.get(attendee["id"]).checkins.as_dict()[gate["id"]]
    assert (state["entries"], state["exits"], state["inside"], state["last_type"]) == (1, 0, True, "entry")


@pytest.mark.parametrize("mangle", [
    lambda s: "",
    lambda s: "HELLO",
    lambda s: s[:-1],
    lambda s: s[:20] + ("A" if s[20] != "A" else "B") + s[21:],
    lambda s: "https://example.org/t/" + s,
], ids=["empty", "word", "truncated", "altered", "url"])
def test_forged_and_malformed_codes_are_invalid_even_with_force(door, mangle):
    gate = door.make_list()
    attendee = door.register()
    forged = mangle(attendee["secret"])
    if not forged:
        assert door.scan(gate, forged).status_code == 400  # no secret at all is a malformed request
        return
    for force in (False, True):
        response = door.scan(gate, forged, force=force)
        assert reason(response, 404) == "invalid" and "attendee" not in response.json()
    assert door.status(gate)["checkin_count"] == 0


def test_another_events_ticket_and_an_unknown_registration_are_invalid(make_door):
    door, other = make_door(), make_door()
    gate = door.make_list()
    theirs = other.register()
    assert reason(door.scan(gate, theirs["secret"], force=True), 404) == "invalid"
    unknown = issuing.signer().issue(door.event_id, new_registration_id(), 0)
    assert reason(door.scan(gate, unknown), 404) == "invalid"
    stranger = TicketSigner(Keyring.generate()).issue(door.event_id, door.register()["id"], 0)
    assert reason(door.scan(gate, stranger), 404) == "invalid"


def test_a_reissued_ticket_revokes_the_old_secret(db, door):
    gate = door.make_list()
    attendee = door.register()
    reissued = reissue(db, door.event_id, attendee["id"])
    assert reissued.revision == 1
    response = door.scan(gate, attendee["secret"])
    assert reason(response) == "revoked" and response.json()["attendee"]["name"] == attendee["name"]
    assert door.scan(gate, issuing.secret_for(reissued)).status_code == 201


def test_reissue_to_another_ticket_type_moves_every_count(db, door):
    gate, vip_only = door.make_list(), door.make_list(ticket_types=["vip"])
    attendee = door.register("std")
    assert door.scan(gate, attendee["secret"]).status_code == 201
    assert reason(door.scan(vip_only, attendee["secret"])) == "product"
    reissued = reissue(db, door.event_id, attendee["id"], ticket_type="vip")
    secret = issuing.secret_for(reissued)
    assert door.scan(vip_only, secret).status_code == 201
    assert door.status(gate)["by_ticket_type"]["vip"] == {"position_count": 1, "checkin_count": 1, "inside_count": 1}
    assert door.status(gate)["by_ticket_type"]["std"] == {"position_count": 0, "checkin_count": 0, "inside_count": 0}
    registered = counters.read(db, door.event_id)
    assert (registered["confirmed__std"], registered["confirmed__vip"], registered["held"]) == (0, 1, 1)


def test_force_admits_every_reason_but_invalid_and_marks_it(db, make_door):
    door = make_door(requires_approval=True)
    vip_only = door.make_list(ticket_types=["vip"])
    pending = door.register("std")
    response = door.scan(vip_only, pending["secret"], force=True)
    assert response.status_code == 201 and response.json()["checkin"]["forced"] is True
    approved = door.register("vip")
    door.move(approved, "approve")
    plain = door.scan(vip_only, approved["secret"], force=True)
    assert plain.status_code == 201 and plain.json()["checkin"]["forced"] is False  # nothing to override
    cancelled, replaced = door.register("vip"), door.register("vip")
    door.move(cancelled, "approve")
    door.move(cancelled, "cancel")
    door.move(replaced, "approve")
    reissue(db, door.event_id, replaced["id"])
    for attendee in (cancelled, replaced):
        response = door.scan(vip_only, attendee["secret"], force=True)
        assert response.status_code == 201 and response.json()["checkin"]["forced"] is True
    audit = {scan.registration_id: scan for scan in door.audit()}
    assert [(audit[a["id"]].forced, audit[a["id"]].reason) for a in (pending, approved, cancelled, replaced)] == [
        (True, "unapproved"), (False, None), (True, "canceled"), (True, "revoked")]
    assert door.status(vip_only)["checkin_count"] == 4


def test_a_repeated_nonce_returns_the_first_answer_and_writes_nothing(db, door):
    gate = door.make_list()
    attendee = door.register()
    first = door.scan(gate, attendee["secret"], nonce="n-1")
    written = (len(door.audit()), counts.read(db, door.event_id, gate["id"]),
               db.Registration.get(attendee["id"]).checkins.as_dict())
    again = door.scan(gate, attendee["secret"], nonce="n-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert (len(door.audit()), counts.read(db, door.event_id, gate["id"]),
            db.Registration.get(attendee["id"]).checkins.as_dict()) == written
    assert reason(door.scan(gate, attendee["secret"], nonce="n-2")) == "already_redeemed"


def test_a_failed_scans_nonce_does_not_block_a_later_success(make_door):
    door = make_door(requires_approval=True)
    gate = door.make_list()
    attendee = door.register()
    assert reason(door.scan(gate, attendee["secret"], nonce="retry-me")) == "unapproved"
    door.move(attendee, "approve")
    assert door.scan(gate, attendee["secret"], nonce="retry-me").status_code == 201
    assert [(s.ok, s.reason) for s in sorted(door.audit(), key=lambda s: s.time)] == [(False, "unapproved"),
                                                                                     (True, None)]


def test_a_nonce_belongs_to_one_ticket(door):
    gate = door.make_list()
    assert door.scan(gate, door.register()["secret"], nonce="shared").status_code == 201
    clash = door.scan(gate, door.register()["secret"], nonce="shared", force=True)
    assert clash.status_code == 400 and clash.json()["details"][0]["field"] == "nonce"


def test_multiple_entries_count_one_ticket(db, door):
    gate = door.make_list(allow_multiple_entries=True)
    attendee = door.register()
    assert all(door.scan(gate, attendee["secret"]).status_code == 201 for _ in range(3))
    status = door.status(gate)
    assert (status["checkin_count"], status["inside_count"]) == (1, 1)
    assert db.Registration.get(attendee["id"]).checkins.as_dict()[gate["id"]]["entries"] == 3


def test_lists_are_independent(db, door):
    main, b2b = door.make_list(name="Main gate"), door.make_list(name="B2B hall")
    attendee = door.register()
    assert door.scan(main, attendee["secret"]).status_code == 201
    assert door.scan(b2b, attendee["secret"]).status_code == 201
    assert reason(door.scan(main, attendee["secret"])) == "already_redeemed"
    assert door.scan(b2b, attendee["secret"], scan_type="exit").status_code == 201
    assert (door.status(main)["inside_count"], door.status(b2b)["inside_count"]) == (1, 0)
    assert counters.read(db, door.event_id)["arrived"] == 1  # one person, two lists


def test_a_late_older_exit_does_not_undo_a_newer_entry(db, door):
    gate = door.make_list()
    attendee = door.register()
    assert door.scan(gate, attendee["secret"], scanned_at=door.hours.at("2:00")).status_code == 201
    assert door.scan(gate, attendee["secret"], "exit", scanned_at=door.hours.at("1:00")).status_code == 201
    state = db.Registration.get(attendee["id"]).checkins.as_dict()[gate["id"]]
    assert (state["last_type"], state["inside"], state["exits"]) == ("entry", True, 1)
    assert door.status(gate)["inside_count"] == 1
    assert counts.read(db, door.event_id, gate["id"])[f"arrivals__{door.hours.moment('2:00'):%Y%m%d%H}"] == 1


@pytest.mark.parametrize("language,text", [("tr", "Bu bilet zaten kullanılmış."),
                                           ("az-AZ,az;q=0.9", "Bu bilet artıq istifadə olunub."),
                                           ("en-GB", "This ticket has already been used."),
                                           ("de", "This ticket has already been used.")])
def test_the_message_speaks_the_door_staffs_language(door, language, text):
    gate = door.make_list()
    attendee = door.register()
    door.scan(gate, attendee["secret"])
    assert door.scan(gate, attendee["secret"], language=language).json()["message"] == text


def test_the_audit_log_keeps_every_scan_without_personal_data(door):
    gate = door.make_list()
    attendee = door.register(name="Gülşən Məmmədova")
    door.scan(gate, attendee["secret"], nonce="a")
    door.scan(gate, attendee["secret"], nonce="b")
    door.scan(gate, "FORGED", nonce="c")
    log = sorted(door.audit(), key=lambda s: s.nonce)
    assert [(s.ok, s.reason, s.registration_id) for s in log] == [
        (True, None, attendee["id"]), (False, "already_redeemed", attendee["id"]), (False, "invalid", None)]
    scanner_id = door.scanner.split("_")[1]
    assert {s.token_id for s in log} == {scanner_id} and {s.list_id for s in log} == {gate["id"]}
    stored = str([s.attribute_values for s in log])
    assert "Gülşən" not in stored and attendee["email"] not in stored and attendee["secret"] not in stored


@pytest.mark.parametrize("body,field", [
    ({"type": "entry"}, "secret"),
    ({"secret": "X", "type": "inside"}, "type"),
    ({"secret": "X", "scanned_at": dates.from_now()[:16].replace("T", " ")}, "scanned_at"),
    ({"secret": "X", "nonce": ""}, "nonce"),
    ({"secret": "X", "force": "yes"}, "force"),
    ({"secret": "X", "gate": 3}, "gate"),
])
def test_malformed_scan_requests_name_the_field(door, body, field):
    gate = door.make_list()
    response = door.api.post(f"/api/events/{door.event_id}/checkin-lists/{gate['id']}/scans", json=body,
                             token=door.scanner)
    assert response.status_code == 400 and response.json()["error"] == "validation_error"
    assert [d["field"] for d in response.json()["details"]] == [field]


def test_scanner_scope_and_roles(api, make_door):
    door, other = make_door(), make_door()
    gate, their_gate = door.make_list(), other.make_list()
    attendee = door.register()
    lists_url = f"/api/events/{door.event_id}/checkin-lists"
    assert api.post(lists_url, json={"name": "x"}, token=door.scanner).status_code == 403
    assert api.get(lists_url, token=door.scanner).status_code == 403
    assert api.post(lists_url, json={"name": "x"}).status_code == 401
    assert door.scan(gate, attendee["secret"], token="kapi_aaaaaaaaaaaaaaaa_" + "x" * 43).status_code == 401
    for path in (f"/api/events/{other.event_id}/checkin-lists/{their_gate['id']}/status",
                 f"/api/events/{other.event_id}/checkin-lists/{their_gate['id']}/search?q=sengul",
                 f"/api/events/{other.event_id}/offline-bundle"):
        response = api.get(path, token=door.scanner)
        assert response.status_code == 403 and response.json()["error"] == "forbidden"
    foreign = api.post(f"/api/events/{other.event_id}/checkin-lists/{their_gate['id']}/scans",
                       json={"secret": attendee["secret"]}, token=door.scanner)
    assert foreign.status_code == 403
    organiser = make_token(api, "organiser", [door.event_id])["token"]
    assert door.scan(gate, attendee["secret"], token=organiser).status_code == 201
    assert api.get(f"/api/events/{door.event_id}/checkin-lists/nope/status", token=door.scanner).status_code == 404


def test_list_creation_validates_each_field(door):
    response = door.api.post(f"/api/events/{door.event_id}/checkin-lists", token=door.api.admin_token, json={
        "name": "", "ticket_types": ["std", "gold"], "allow_multiple_entries": "no",
        "valid_from": door.hours.at("8:00"), "valid_until": door.hours.at("0:00"), "rules": {}})
    assert response.status_code == 400
    assert sorted(d["field"] for d in response.json()["details"]) == [
        "allow_multiple_entries", "name", "rules", "ticket_types.1", "valid_until"]
    naive = door.api.post(f"/api/events/{door.event_id}/checkin-lists", token=door.api.admin_token,
                          json={"name": "x", "valid_from": door.hours.at("8:00")[:19]})
    assert [d["field"] for d in naive.json()["details"]] == ["valid_from"]
    created = door.make_list(name="B2B hall, day 2", ticket_types=["vip"], allow_multiple_entries=True)
    assert created["id"] and created["allow_entry_after_exit"] is True
    listed = door.api.get(f"/api/events/{door.event_id}/checkin-lists", token=door.api.admin_token).json()
    assert created in listed["items"]
    missing = door.api.get("/api/events/no-such-event/checkin-lists", token=door.api.admin_token)
    assert missing.status_code == 404


def test_status_counts_by_ticket_type(door):
    gate = door.make_list()
    std = [door.register("std") for _ in range(3)]
    vip = door.register("vip")
    for attendee in (std[0], std[1], vip):
        door.scan(gate, attendee["secret"])
    door.scan(gate, std[1]["secret"], scan_type="exit")
    door.move(std[2], "cancel")
    assert door.status(gate) == {
        "position_count": 3, "checkin_count": 3, "inside_count": 2,
        "by_ticket_type": {"std": {"position_count": 2, "checkin_count": 2, "inside_count": 1},
                           "vip": {"position_count": 1, "checkin_count": 1, "inside_count": 1}}}


def test_the_offline_bundle_lets_a_scanner_decide_alone(db, door):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    gate = door.make_list()
    cancelled, replaced = door.register(), door.register()
    door.move(cancelled, "cancel")
    reissue(db, door.event_id, replaced["id"])
    # The bundle is read from the registrations' indexes, which DynamoDB updates a moment after the
    # write (fault mode lags them 200 ms): a scanner that downloads it at once may need its next refresh.
    bundle = poll(lambda: door.api.get(f"/api/events/{door.event_id}/offline-bundle", token=door.scanner).json(),
                  lambda bundle: bundle["canceled"] and bundle["revoked"], timeout=10)
    assert bundle["canceled"] == [cancelled["id"]] and bundle["unapproved"] == []
    assert bundle["revoked"] == [{"secret": replaced["secret"], "registration_id": replaced["id"], "revision": 0}]
    assert [item["id"] for item in bundle["lists"]] == [gate["id"]]
    assert [t["id"] for t in bundle["ticket_types"]] == ["std", "vip"]
    raw = base64.b32decode(cancelled["secret"] + "=" * (-len(cancelled["secret"]) % 8))
    payload, signature = raw[:12], raw[12:]
    key = next(k for k in bundle["keys"] if k["key_id"] == payload[0])
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["public_key"] + "=="))
    public.verify(signature, b"kapi-ticket-v1\0" + door.event_id.encode() + b"\0" + payload)
    assert "email" not in str(bundle) and cancelled["name"] not in str(bundle)


@pytest.mark.parametrize("scanned_at", [
    "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:00:00-00:30", "later", "future", "before_registration"])
def test_scan_times_out_of_bounds_are_refused_whole(door, scanned_at):
    """More than 5 minutes ahead, or before the event's registrations could exist: 400 on `scanned_at`
    (SPEC §7), for a single scan and for a batch, which commits nothing of its good scans either."""
    scanned_at = {"later": dates.from_now(minutes=6), "future": dates.from_now(days=400),
                  "before_registration": dates.iso(door.hours.moment("0:00") - dates.timedelta(days=8)),
                  }.get(scanned_at, scanned_at)
    gate = door.make_list()
    attendee, other = door.register(), door.register()
    single = door.scan(gate, attendee["secret"], scanned_at=scanned_at)
    assert single.status_code == 400 and single.json()["error"] == "validation_error", single.text
    assert [d["field"] for d in single.json()["details"]] == ["scanned_at"]
    batch = door.batch(gate, [{"secret": other["secret"], "nonce": nonce(), "scanned_at": door.hours.at("0:10")},
                              {"secret": attendee["secret"], "nonce": nonce(), "scanned_at": scanned_at}])
    assert batch.status_code == 400, batch.text
    assert [d["field"] for d in batch.json()["details"]] == ["scans.1.scanned_at"]
    assert door.status(gate)["checkin_count"] == 0 and door.audit() == []


def test_scan_times_at_the_bounds_are_accepted(door):
    gate = door.make_list()
    first, second = door.register(), door.register()
    opened = door.event["registration_opens_at"]
    assert door.scan(gate, first["secret"], scanned_at=dates.from_now(minutes=4)).status_code == 201
    assert door.batch(gate, [{"secret": second["secret"], "scanned_at": opened}]).json()["results"][0]["status"] == "ok"
