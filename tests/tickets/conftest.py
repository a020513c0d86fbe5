import pytest

from chalicelib.common.ids import new_registration_id
from chalicelib.tickets.secrets import Keyring, TicketSigner

EVENT_ID = "izmir-baku-40-gala"


@pytest.fixture(scope="session")
def event_id():
    return EVENT_ID


@pytest.fixture(scope="session")
def keyring():
    return Keyring.generate()


@pytest.fixture(scope="session")
def signer(keyring):
    return TicketSigner(keyring)


@pytest.fixture
def registration_id():
    return new_registration_id()


@pytest.fixture
def secret(signer, registration_id):
    return signer.issue(EVENT_ID, registration_id, 0)


@pytest.fixture
def event():
    return {
        "id": EVENT_ID,
        "name": {"tr": "İzmir–Bakü Kardeşlik Gecesi", "az": "İzmir–Bakı Qardaşlıq Gecəsi"},
        "description": {"tr": "Şiir, ışık, müzik ve dağ havası", "az": "Şeir, işıq və musiqi: Əziz dostlar üçün"},
        "venue": "Ahmed Adnan Saygun Sanat Merkezi, İzmir",
        "starts_at": "2026-06-12T19:00:00+03:00",
        "ends_at": "2026-06-12T23:30:00+03:00",
        "timezone": "Europe/Istanbul",
    }
