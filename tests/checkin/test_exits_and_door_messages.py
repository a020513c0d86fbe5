"""Exits of a genuine ticket are always accepted (SPEC §7); the door's message fits the ticket's status."""
from chalicelib.organiser.reissue import reissue


def test_someone_who_entered_and_then_cancelled_can_still_leave(door):
    gate = door.make_list()
    attendee = door.register()
    assert door.scan(gate, attendee["secret"]).status_code == 201
    door.move(attendee, "cancel")
    leaving = door.scan(gate, attendee["secret"], scan_type="exit")
    assert leaving.status_code == 201, leaving.text
    assert leaving.json()["checkin"]["forced"] is False
    assert door.status(gate)["inside_count"] == 0
    assert door.scan(gate, attendee["secret"]).json()["reason"] == "canceled"  # coming back in is still refused


def test_exits_ignore_status_ticket_type_and_replaced_secrets_but_not_forgeries(db, make_door):
    door = make_door(requires_approval=True)
    vip_only = door.make_list(ticket_types=["vip"])
    pending, replaced = door.register("std"), door.register("vip")
    door.move(replaced, "approve")
    assert door.scan(vip_only, replaced["secret"]).status_code == 201
    reissue(db, door.event_id, replaced["id"])
    assert door.scan(vip_only, pending["secret"], scan_type="exit").status_code == 201
    assert door.scan(vip_only, replaced["secret"], scan_type="exit").status_code == 201  # the old QR still lets them out
    assert door.status(vip_only)["inside_count"] == 0
    forged = replaced["secret"][:-4] + ("AAAA" if not replaced["secret"].endswith("AAAA") else "BBBB")
    assert door.scan(vip_only, forged, scan_type="exit").json()["reason"] == "invalid"


def test_a_waitlisted_ticket_is_told_it_is_on_the_waiting_list(make_door):
    door = make_door(capacity=1, waitlist=True, requires_approval=False)
    gate = door.make_list()
    door.register()
    waiting = door.register()
    assert waiting["status"] == "waitlisted"
    answers = {language: door.scan(gate, waiting["secret"], language=language).json() for language in ("en", "tr", "az")}
    assert {a["reason"] for a in answers.values()} == {"unapproved"}
    assert answers["en"]["message"] == "This registration is on the waiting list."
    assert answers["tr"]["message"] == "Bu kayıt bekleme listesinde."
    assert answers["az"]["message"] == "Bu qeydiyyat gözləmə siyahısındadır."
    pending_door = make_door(requires_approval=True)
    pending = pending_door.scan(pending_door.make_list(), pending_door.register()["secret"]).json()
    assert (pending["reason"], pending["message"]) == ("unapproved", "This registration has not been approved yet.")
