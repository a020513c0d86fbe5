import base64
import random
import string

import pytest
import qrcode

from chalicelib.common.ids import new_registration_id, registration_id_bytes
from chalicelib.tickets.secrets import InvalidTicket, Keyring, TicketRef, TicketSigner, parse_unverified

BASE32 = string.ascii_uppercase + "234567"


def _b32(raw):
    return base64.b32encode(raw).decode().rstrip("=")


def _with_byte(raw, index, value):
    altered = bytearray(raw)
    altered[index] = value
    return bytes(altered)


def test_a_secret_round_trips_to_its_registration_and_revision(signer, keyring, event_id, registration_id):
    secret = signer.issue(event_id, registration_id, 7)

    expected = TicketRef(key_id=keyring.active_key_id, registration_id=registration_id, revision=7)
    assert signer.verify(secret, event_id) == expected
    assert parse_unverified(secret) == expected


def test_a_secret_is_122_qr_alphanumeric_characters(secret):
    assert len(secret) == 122
    assert set(secret) <= set(BASE32)


def test_the_qr_code_is_version_7_or_lower_at_level_m(signer, event_id):
    for revision in (0, 255):
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(signer.issue(event_id, new_registration_id(), revision))
        code.make(fit=True)
        assert code.version <= 7
        assert code.data_list[0].mode == qrcode.util.MODE_ALPHA_NUM


def test_lower_case_and_surrounding_whitespace_are_accepted(signer, event_id, secret):
    for variant in (secret.lower(), f"  {secret}\n", f"\t{secret.lower()} "):
        assert signer.verify(variant, event_id) == signer.verify(secret, event_id)
        assert parse_unverified(variant) == parse_unverified(secret)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:60] + " " + s[60:],  # inner whitespace
        lambda s: s + "======",  # padding
        # Turkish dotless i, which upper-cases to I (put in place of the first character if no I is there)
        lambda s: (s.replace("I", "ı", 1) if "I" in s else "ı" + s[1:]).lower(),
        lambda s: s[:10] + "-" + s[11:],
        lambda s: s.encode(),
    ],
)
def test_nothing_but_case_and_surrounding_whitespace_is_forgiven(signer, event_id, secret, mangle):
    with pytest.raises(InvalidTicket):
        signer.verify(mangle(secret), event_id)
    with pytest.raises(InvalidTicket):
        parse_unverified(mangle(secret))


def test_ten_thousand_forged_or_altered_secrets_are_all_rejected(signer, keyring, event_id):
    rng = random.Random(1986)  # the year İzmir and Baku signed the sister-city protocol
    registration_id = new_registration_id()
    genuine = signer.issue(event_id, registration_id, 3)
    forgeries = []
    # Every other character at every position, including the last character's unused bits.
    for position, original in enumerate(genuine):
        forgeries += [genuine[:position] + c + genuine[position + 1 :] for c in BASE32 if c != original]
    # Truncated from either end, and extended.
    forgeries += [genuine[:length] for length in range(len(genuine))]
    forgeries += [genuine[length:] for length in range(1, len(genuine))]
    forgeries += [genuine + "".join(rng.choices(BASE32, k=n)) for n in range(1, 17) for _ in range(8)]
    # Another event's genuine ticket.
    forgeries += [signer.issue(f"other-event-{n}", registration_id, 3) for n in range(200)]
    # Signed by a stranger's key that claims an id this keyring has.
    stranger = TicketSigner(Keyring.generate(key_id=keyring.active_key_id))
    forgeries += [stranger.issue(event_id, new_registration_id(), rng.randrange(256)) for _ in range(1000)]
    # Signed by a key id the keyring does not hold.
    unknown_ids = [key_id for key_id in range(256) if keyring.public_key(key_id) is None]
    forgeries += [
        TicketSigner(Keyring.generate(key_id=rng.choice(unknown_ids))).issue(event_id, registration_id, 3)
        for _ in range(200)
    ]
    raw = base64.b32decode(genuine + "======")
    # Every other value of every payload byte (key id, registration id, revision) under the genuine
    # signature, and every single-bit flip of the signature.
    for index in range(12):
        forgeries += [_b32(_with_byte(raw, index, value)) for value in range(256) if value != raw[index]]
    for bit in range(512):
        index = 12 + bit // 8
        forgeries.append(_b32(_with_byte(raw, index, raw[index] ^ (1 << bit % 8))))
    # The genuine payload with signatures borrowed from other tickets.
    for _ in range(500):
        donor = base64.b32decode(signer.issue(event_id, new_registration_id(), 3) + "======")
        forgeries.append(_b32(raw[:12] + donor[12:]))
    # Random base32 text of the right length and of other lengths.
    forgeries += ["".join(rng.choices(BASE32, k=122)) for _ in range(1500)]
    forgeries += ["".join(rng.choices(BASE32, k=rng.randrange(1, 200))) for _ in range(500)]
    attempts = [(forgery, event_id) for forgery in forgeries if forgery != genuine]
    # The genuine ticket presented at other events, near misses of this one's id included.
    other_events = [event_id.upper(), event_id + " ", event_id[:-1], event_id + "x", "", *(f"e{n}" for n in range(100))]
    attempts += [(genuine, other) for other in other_events]
    assert len(attempts) >= 10_000

    accepted = []
    for forgery, presented_at in attempts:
        try:
            signer.verify(forgery, presented_at)
        except InvalidTicket:
            continue
        accepted.append((forgery, presented_at))
    assert accepted == []
    assert signer.verify(genuine, event_id).registration_id == registration_id


def test_rotation_signs_with_the_new_key_and_still_verifies_with_the_old(keyring, event_id, registration_id):
    old_signer = TicketSigner(keyring)
    old_ticket = old_signer.issue(event_id, registration_id, 0)

    rotated = keyring.rotated()
    new_signer = TicketSigner(rotated)
    new_ticket = new_signer.issue(event_id, registration_id, 1)

    assert rotated.active_key_id == keyring.active_key_id + 1
    assert parse_unverified(new_ticket).key_id == rotated.active_key_id
    assert new_signer.verify(old_ticket, event_id).key_id == keyring.active_key_id
    assert new_signer.verify(new_ticket, event_id).revision == 1
    with pytest.raises(InvalidTicket):  # tickets of a newer key mean nothing to the old keyring
        old_signer.verify(new_ticket, event_id)

    retired = TicketSigner(Keyring({rotated.active_key_id: rotated.private_keys[rotated.active_key_id]}, rotated.active_key_id))
    with pytest.raises(InvalidTicket):
        retired.verify(old_ticket, event_id)


def test_public_keys_let_an_offline_scanner_verify_from_the_documented_layout(signer, keyring, event_id, secret):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    bundle = keyring.public_keys()
    assert [entry["key_id"] for entry in bundle] == [keyring.active_key_id]
    encoded = bundle[0]["public_key"]
    public_key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(encoded + "="))
    raw = base64.b32decode(secret + "======")
    payload, signature = raw[:12], raw[12:]

    public_key.verify(signature, b"kapi-ticket-v1\0" + event_id.encode() + b"\0" + payload)  # raises if wrong
    assert payload[1:11] == registration_id_bytes(parse_unverified(secret).registration_id)


@pytest.mark.parametrize("revision", [-1, 256])
def test_a_revision_must_fit_in_one_byte(signer, event_id, registration_id, revision):
    with pytest.raises(ValueError):
        signer.issue(event_id, registration_id, revision)


@pytest.mark.parametrize("bad_id", ["", "short", "not-base32-at-all", "a" * 24])
def test_only_registration_ids_can_be_signed(signer, event_id, bad_id):
    with pytest.raises(ValueError):
        signer.issue(event_id, bad_id, 0)


def test_a_keyring_refuses_an_active_key_it_does_not_hold(keyring):
    with pytest.raises(ValueError):
        Keyring(dict(keyring.private_keys), active_key_id=99)


# --- Manage secrets (SPEC §16) ---------------------------------------------------------------------

def test_a_manage_secret_names_the_same_ticket_and_neither_kind_passes_for_the_other(signer, event_id, registration_id):
    manage, secret = signer.manage(registration_id, 3), signer.issue(event_id, registration_id, 3)
    assert len(manage) == 45 and set(manage) <= set(BASE32)
    assert signer.verify_manage(manage) == signer.verify(secret, event_id)
    assert signer.verify_manage(manage.lower()) == signer.verify_manage(manage)
    with pytest.raises(InvalidTicket):
        signer.verify_manage(secret)
    with pytest.raises(InvalidTicket):
        signer.verify(manage, event_id)
    assert signer.manage(registration_id, 4) != manage  # a reissue replaces it


def test_altered_manage_secrets_and_other_keyrings_are_refused(signer, registration_id):
    raw = base64.b32decode(signer.manage(registration_id, 0) + "===")
    for index in range(len(raw)):
        altered = _b32(_with_byte(raw, index, raw[index] ^ 0x01))
        with pytest.raises(InvalidTicket):
            signer.verify_manage(altered)
    with pytest.raises(InvalidTicket):
        TicketSigner(Keyring.generate()).verify_manage(signer.manage(registration_id, 0))


def test_manage_secrets_of_a_retired_active_key_still_verify_after_rotation(keyring, registration_id):
    before = TicketSigner(keyring).manage(registration_id, 0)
    rotated = TicketSigner(keyring.rotated())
    assert rotated.verify_manage(before).key_id == keyring.active_key_id
    assert rotated.verify_manage(rotated.manage(registration_id, 0)).key_id == keyring.active_key_id + 1
