"""How a send failed, which decides what the pipeline does next.

A transient failure (server busy, throttled, connection lost) is retried later with backoff. A
permanent one (bad address, message rejected) will fail again however often it is retried: the
registration's email_status becomes `failed`, so organisers can see it, fix it and resend.
"""


class SendError(Exception):
    """A message was not sent. The message text holds no personal data."""


class TransientSendError(SendError):
    pass


class ThrottledSendError(TransientSendError):
    """The provider refused the send for the account's rate or daily quota: nothing was sent, and the
    message is retried soon without using up its attempts."""


class PermanentSendError(SendError):
    pass
