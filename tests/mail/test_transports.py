import email
import email.policy
import ssl
import stat
from email.message import EmailMessage
from email.utils import make_msgid

import boto3
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from botocore.stub import Stubber

from chalicelib.mail.errors import PermanentSendError, TransientSendError
from chalicelib.mail.transports import (
    OutboxTransport,
    SesTransport,
    SmtpTransport,
    transport_from_config,
)
from tests.mail.conftest import free_port


def _message(to="Şengül Əliyeva <sengul@example.az>", subject="Biletiniz: İzmir–Bakı Gecəsi"):
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Kapı <tickets@kapi.example>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="kapi.example")
    message.set_content("Hörmətli Şengül Əliyeva,\n", cte="quoted-printable")
    return message


# --- outbox -----------------------------------------------------------------------------------


def test_the_outbox_writes_one_whole_private_eml_per_message(tmp_path):
    outbox = OutboxTransport(tmp_path / "outbox")
    messages = [_message(subject=f"Bilet {n}: ğüşıöç əƏ") for n in range(3)]
    for message in messages:
        outbox.send(message)

    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.suffix for f in files] == [".eml"] * 3  # nothing temporary left over
    subjects = set()
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        subjects.add(parsed["Subject"])
        assert path.name == parsed["Message-ID"].strip("<>") + ".eml"
    assert subjects == {f"Bilet {n}: ğüşıöç əƏ" for n in range(3)}


def test_sending_the_same_message_again_replaces_its_file(tmp_path):
    outbox = OutboxTransport(tmp_path)
    message = _message()
    outbox.send(message)
    outbox.send(message)

    assert len(list(tmp_path.iterdir())) == 1


# --- SMTP -------------------------------------------------------------------------------------


class Recorder:
    """An SMTP handler that keeps what it receives and refuses addresses by their local part."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("unknown@"):
            return "550 5.1.1 <unknown@example.az>: Recipient address rejected"
        if address.startswith("greylisted@"):
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, recorder
    controller.stop()


@pytest.fixture
def tls_smtp_server(tls_files):
    cert_path, key_path = tls_files
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)

    def authenticate(server, session, envelope, mechanism, auth_data):
        valid = (auth_data.login, auth_data.password) == (b"kapi", b"s3cret-parola")
        return AuthResult(success=valid, handled=False)  # handled=False: aiosmtpd answers 235 or 535

    recorder = Recorder()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield controller, recorder, ssl.create_default_context(cafile=str(cert_path))
    controller.stop()


def test_smtp_delivers_the_message_as_composed(smtp_server):
    controller, recorder = smtp_server
    SmtpTransport("127.0.0.1", controller.port, starttls=False).send(_message())

    (envelope,) = recorder.envelopes
    assert envelope.rcpt_tos == ["sengul@example.az"]
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Subject"] == "Biletiniz: İzmir–Bakı Gecəsi"
    assert received.get_content().strip() == "Hörmətli Şengül Əliyeva,"


def test_smtp_a_refused_address_is_permanent_and_the_error_does_not_quote_it(smtp_server):
    controller, _ = smtp_server
    with pytest.raises(PermanentSendError) as raised:
        SmtpTransport("127.0.0.1", controller.port, starttls=False).send(_message(to="unknown@example.az"))
    assert "example.az" not in str(raised.value)


def test_smtp_a_temporary_refusal_is_transient(smtp_server):
    controller, _ = smtp_server
    with pytest.raises(TransientSendError):
        SmtpTransport("127.0.0.1", controller.port, starttls=False).send(_message(to="greylisted@example.az"))


def test_smtp_a_closed_port_is_transient():
    with pytest.raises(TransientSendError):
        SmtpTransport("127.0.0.1", free_port(), starttls=False, timeout=2).send(_message())


def test_smtp_starttls_and_login(tls_smtp_server):
    controller, recorder, client_context = tls_smtp_server
    transport = SmtpTransport(
        "127.0.0.1", controller.port, starttls=True, username="kapi", password="s3cret-parola", ssl_context=client_context
    )
    transport.send(_message())

    assert len(recorder.envelopes) == 1


def test_smtp_a_wrong_password_is_permanent(tls_smtp_server):
    controller, recorder, client_context = tls_smtp_server
    transport = SmtpTransport(
        "127.0.0.1", controller.port, starttls=True, username="kapi", password="wrong", ssl_context=client_context
    )
    with pytest.raises(PermanentSendError):
        transport.send(_message())
    assert recorder.envelopes == []


def test_smtp_an_untrusted_certificate_is_transient_not_silently_accepted(tls_smtp_server):
    controller, recorder, _ = tls_smtp_server
    with pytest.raises(TransientSendError):
        SmtpTransport("127.0.0.1", controller.port, starttls=True).send(_message())  # system CAs only
    assert recorder.envelopes == []


def test_smtp_starttls_missing_on_the_server_is_permanent(smtp_server):
    controller, _ = smtp_server
    with pytest.raises(PermanentSendError):
        SmtpTransport("127.0.0.1", controller.port, starttls=True).send(_message())


# --- SES --------------------------------------------------------------------------------------


@pytest.fixture
def ses():
    client = boto3.client("ses", region_name="eu-central-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stub:
        yield client, stub


def test_ses_sends_the_raw_message(ses):
    client, stub = ses
    message = _message()
    stub.add_response("send_raw_email", {"MessageId": "0102-abc"}, {"RawMessage": {"Data": bytes(message)}})

    SesTransport(client).send(message)
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code, status, expected",
    [
        ("Throttling", 400, TransientSendError),
        ("ServiceUnavailable", 503, TransientSendError),
        ("InternalFailure", 500, TransientSendError),
        ("MessageRejected", 400, PermanentSendError),
        ("MailFromDomainNotVerifiedException", 400, PermanentSendError),
    ],
)
def test_ses_errors_map_to_transient_or_permanent(ses, code, status, expected):
    client, stub = ses
    stub.add_client_error(
        "send_raw_email",
        service_error_code=code,
        service_message="Email address is not verified: sengul@example.az",
        http_status_code=status,
    )
    with pytest.raises(expected) as raised:
        SesTransport(client).send(_message())
    assert "sengul" not in str(raised.value)


# --- configuration ----------------------------------------------------------------------------


def test_the_factory_builds_each_configured_transport(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")

    outbox = transport_from_config({"transport": "outbox", "outbox_dir": tmp_path / "outbox"})
    smtp = transport_from_config(
        {"transport": "smtp", "smtp_host": "mail.example", "smtp_port": "587", "smtp_starttls": True, "smtp_user": "kapi", "smtp_password": "p"}
    )
    ses = transport_from_config({"transport": "ses"})

    assert isinstance(outbox, OutboxTransport) and outbox.directory == tmp_path / "outbox"
    assert isinstance(smtp, SmtpTransport)
    assert (smtp.host, smtp.port, smtp.starttls, smtp.username) == ("mail.example", 587, True, "kapi")
    assert isinstance(ses, SesTransport) and ses.client.meta.service_model.service_name == "ses"
    with pytest.raises(ValueError):
        transport_from_config({"transport": "pigeon"})
