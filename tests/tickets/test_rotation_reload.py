"""A key rotated while the process runs: tickets signed with the new key verify without a restart."""
import pytest

from chalicelib.common.ids import new_registration_id
from chalicelib.tickets import issuing
from chalicelib.tickets.keys import load_keyring_from_dir, rotate_key
from chalicelib.tickets.secrets import InvalidTicket, TicketSigner


def test_unknown_key_id_reloads_the_keyring_once(tmp_path, monkeypatch):
    monkeypatch.setenv("KAPI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KAPI_SIGNING_KEY_SOURCE", "file")
    issuing.settings.cache_clear()
    issuing.signer.cache_clear()
    monkeypatch.setattr(issuing, "_last_reload", 0.0)
    old = issuing.signer()  # this process now holds the ring as it was
    rotate_key(tmp_path)     # another process rotates
    new_secret = TicketSigner(load_keyring_from_dir(tmp_path)).issue("fest", new_registration_id(), 0)
    with pytest.raises(InvalidTicket):
        old.verify(new_secret, "fest")
    assert issuing.verify(new_secret, "fest").revision == 0
    forged_key = new_secret[:1] + ("B" if new_secret[1] != "B" else "C") + new_secret[2:]
    with pytest.raises(InvalidTicket):
        issuing.verify(forged_key, "fest")  # no second reload within the interval
    issuing.settings.cache_clear()
    issuing.signer.cache_clear()
