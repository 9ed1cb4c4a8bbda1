"""What can go wrong talking to the platform. Messages never contain the password."""

from __future__ import annotations

from bot.santo.codes import request_error_meaning


class SantoError(Exception):
    """Base of every platform error; `str()` is safe to show a user."""


class InvalidRequest(SantoError):
    """We refused to send: the request would be invalid (bad language, empty text, …)."""


class SantoRejected(SantoError):
    """The platform answered with an error code from table 5.1."""

    def __init__(self, code: str, msgid: str | None = None) -> None:
        self.code = code
        self.meaning = request_error_meaning(code)
        self.msgid = msgid
        super().__init__(f"{code} — {self.meaning}")


class SantoUnavailable(SantoError):
    """The platform could not be reached or answered unusably; nothing was sent."""


class OutcomeUnknown(SantoError):
    """A submit may or may not have been accepted (timeout, 5xx, unparsable answer).

    It is never retried automatically: retrying could send the message twice.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the platform's answer was lost ({reason}); the message may have been sent")
