"""Where a composed message goes: `.eml` files, an SMTP server or Amazon SES.

`send` returns once the message is handed over, or raises TransientSendError (try again later)
or PermanentSendError (it will not succeed). The pipeline's retry policy rests on that
distinction, so each transport maps its own failures onto it. The error text holds only
status codes: servers often quote the recipient's address, and errors end up in logs.
"""
from __future__ import annotations

import contextlib
import re
import secrets
import smtplib
import ssl
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Mapping, Protocol

from chalicelib.common.atomicfile import write_atomic
from chalicelib.mail.errors import PermanentSendError, ThrottledSendError, TransientSendError
from chalicelib.mail.quota import Quota, ses_quota


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class OutboxTransport:
    """One `.eml` file per message. The local run uses it; any mail client opens the files.

    Files appear whole or not at all (see `atomicfile`). The file is named after the
    Message-ID. That name sorts by time, since `make_msgid` starts with a timestamp. Sending
    the same message again replaces its file instead of adding a copy.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage) -> None:
        write_atomic(self.directory / f"{_file_stem(message)}.eml", bytes(message))


class SmtpTransport:
    """Any SMTP server: one connection per message, STARTTLS and login when configured."""

    def __init__(
        self,
        host: str,
        port: int,
        starttls: bool,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.host, self.port, self.starttls, self.timeout = host, port, starttls, timeout
        self.username, self.password = username, password
        self.ssl_context = ssl_context  # None: the system's trusted CAs

    def send(self, message: EmailMessage) -> None:
        try:
            with contextlib.closing(smtplib.SMTP(self.host, self.port, timeout=self.timeout)) as smtp:
                if self.starttls:
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
                # The message is accepted. A failed goodbye must not make it look unsent.
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    smtp.quit()
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            permanent = all(500 <= code < 600 for code in codes)
            raise (PermanentSendError if permanent else TransientSendError)(f"SMTP recipient refused {codes}") from None
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            raise (PermanentSendError if permanent else TransientSendError)(f"SMTP {error.smtp_code}") from None
        except smtplib.SMTPNotSupportedError:
            # STARTTLS or SMTPUTF8 missing on the server: a configuration problem, not a busy server.
            raise PermanentSendError("SMTP server lacks a required extension") from None
        except (smtplib.SMTPException, OSError) as error:  # refused, reset, timed out, TLS failed
            raise TransientSendError(f"SMTP connection failed: {type(error).__name__}") from None


# SES codes worth retrying. Any other client error (MessageRejected, an unverified sender, a
# paused account) fails again until someone fixes it, so it is permanent. Throttling (over the
# account's rate or its daily quota) is its own kind: the message is retried without using an attempt.
_SES_THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException"})
_SES_TRANSIENT_CODES = _SES_THROTTLING_CODES | {"ServiceUnavailable", "InternalFailure", "RequestTimeout",
                                                "RequestTimeoutException"}


class SesTransport:
    """Amazon SES `SendRawEmail`: the composed MIME message goes out byte for byte."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def quota(self) -> Quota:
        return ses_quota(self.client)

    def send(self, message: EmailMessage) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.send_raw_email(RawMessage={"Data": bytes(message)})
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in _SES_THROTTLING_CODES:
                raise ThrottledSendError(f"SES {code}") from None
            transient = code in _SES_TRANSIENT_CODES or status >= 500
            raise (TransientSendError if transient else PermanentSendError)(f"SES {code or status}") from None
        except BotoCoreError as error:  # endpoint unreachable, read timeout
            raise TransientSendError(f"SES unreachable: {type(error).__name__}") from None


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    """Build the configured transport.

    The keys are `transport` ("outbox", "smtp" or "ses"), `outbox_dir`, `smtp_host`,
    `smtp_port`, `smtp_starttls` (a bool), `smtp_user` and `smtp_password`. SES takes its
    region and credentials from the environment, as boto3 always does.
    """
    kind = config.get("transport", "outbox")
    if kind == "outbox":
        return OutboxTransport(config["outbox_dir"])
    if kind == "smtp":
        return SmtpTransport(
            host=config["smtp_host"],
            port=int(config.get("smtp_port", 25)),
            starttls=bool(config.get("smtp_starttls", False)),
            username=config.get("smtp_user") or None,
            password=config.get("smtp_password") or None,
        )
    if kind == "ses":
        import boto3

        return SesTransport(boto3.client("ses"))
    raise ValueError(f"unknown mail transport {kind!r}")


def _file_stem(message: EmailMessage) -> str:
    message_id = str(message["Message-ID"] or "").strip("<> ")
    if not message_id:
        return f"{time.time_ns():020d}-{secrets.token_hex(4)}"
    return re.sub(r"[^A-Za-z0-9._@-]", "_", message_id)
