"""Typed results of the platform's calls."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.i18n import Msg
from bot.santo.codes import SUCCESS, request_error_meaning
from bot.santo.errors import SantoError


@dataclass(frozen=True)
class SubmitResult:
    """The answer to one submit call (one number, a batch of ≤100, or one voice call)."""

    command: str
    accepted: bool
    code: str
    msgid: str | None
    numbers: tuple[str, ...] = ()

    @property
    def meaning(self) -> Msg:
        return request_error_meaning(self.code)


@dataclass(frozen=True)
class BatchOutcome:
    """What became of one batch: a platform answer, or the error that stood in its way."""

    numbers: tuple[str, ...]
    result: SubmitResult | None = None
    error: SantoError | None = None

    @property
    def accepted(self) -> bool:
        return self.result is not None and self.result.accepted


@dataclass(frozen=True)
class Balance:
    cpid: str
    amount: Decimal


@dataclass(frozen=True)
class Price:
    region: str
    country: str
    price: Decimal
    """Per message part, in yuan (CNY)."""
    prefix: str


class ReportState(StrEnum):
    DELIVERED = "success"
    FAILED = "failed"
    NONE = "none"


@dataclass(frozen=True)
class ReportStatus:
    msgid: str
    number: str
    state: ReportState
    code: str = SUCCESS


@dataclass(frozen=True)
class NumberCheck:
    number: str
    valid: bool
    region: str | None
