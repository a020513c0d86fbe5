"""How a send failed, which decides what the pipeline does next.

A transient failure (server busy, throttled, connection lost) is retried later with backoff. A
permanent one (bad address, message rejected) will fail again however often it is retried: the
registration's email_status becomes `failed`, so organisers can see it, fix it and resend.
"""


class SendError(Exception):
    """A message was not sent. The message text holds no personal data."""


class TransientSendError(SendError):
    pass


class PermanentSendError(SendError):
    pass
