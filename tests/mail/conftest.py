import datetime
import socket

import pytest

from chalicelib.common.ids import new_registration_id
from chalicelib.tickets.links import ticket_links
from chalicelib.tickets.secrets import Keyring, TicketSigner

EVENT_ID = "qardas-seherler-festivali"
SENDER = "Kapı Biletleri <tickets@kapi.example>"


@pytest.fixture(scope="session")
def signer():
    return TicketSigner(Keyring.generate())


@pytest.fixture
def event():
    return {
        "id": EVENT_ID,
        "name": {"tr": "Kardeş Şehirler Festivali <İzmir & Bakü>", "az": "Qardaş Şəhərlər Festivalı <İzmir & Bakı>", "en": "Sister Cities Festival"},
        "description": {"tr": "Müzik, ışık ve dağ havası", "az": "Musiqi, işıq və Əziz dostlar"},
        "venue": "Kültürpark Açıkhava Tiyatrosu, İzmir",
        "starts_at": "2026-06-12T19:00:00+03:00",
        "ends_at": "2026-06-12T23:30:00+03:00",
        "timezone": "Europe/Istanbul",
    }


@pytest.fixture(params=[("Şengül Əliyeva", "sengul.aliyeva@example.az"), ("İlkin Işık", "ilkin@örnek.com.tr")], ids=["sengul", "ilkin"])
def registration(request):
    name, email = request.param
    return {"id": new_registration_id(), "name": name, "email": email, "ticket_type_name": "Öğrenci / Tələbə"}


@pytest.fixture
def secret(signer, registration):
    return signer.issue(EVENT_ID, registration["id"], 0)


@pytest.fixture
def links(signer, registration):
    return ticket_links("https://kapi.example/", signer.manage(registration["id"], 0), EVENT_ID)


def free_port():
    """A port nobody listens on now. aiosmtpd's Controller cannot bind port 0 and report it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, as (cert path, key path)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
