"""A batch of callbacks as the report route understood them, sorted out for writing: each field
made storable, reports keyed, the first of each kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from sqlalchemy import Column, String, Table

from bot.domain.states import NumberStatus
from bot.santo.reports import StatusReport
from bot.santo.uplink import InboundSms
from bot.store.tables import OWN_ACCOUNT, Inbound, Recipient, Report

_recipients = cast(Table, Recipient.__table__)
_reports = cast(Table, Report.__table__)
_inbound = cast(Table, Inbound.__table__)


def column_length(*columns: Column[Any]) -> int:
    """The most characters every one of these columns holds."""
    return min(cast(int, cast(String, column.type).length) for column in columns)


REPORT_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "msgid": column_length(_reports.c.msgid, _recipients.c.msgid),
        "da": column_length(_reports.c.number, _recipients.c.number),
        "value": column_length(_reports.c.value),
        "code": column_length(_reports.c.code, _recipients.c.code),
    }
)
"""The most characters each field of a report may have to be kept (`parse_report`'s
`max_lengths`): a longer one would fail its whole batch where the database holds to them."""
_COMMAND_LENGTH = column_length(_inbound.c.command)


def storable(text: str) -> str:
    """Text as every database keeps it: PostgreSQL refuses NUL characters."""
    return text.replace("\x00", "\ufffd")


class Callback(NamedTuple):
    """One callback request as the report route understood it (a tuple: one is made per request)."""

    raw: str
    reports: tuple[StatusReport, ...] = ()
    messages: tuple[InboundSms, ...] = ()
    bad_reason: str | None = None
    command: str | None = None
    """Set for a callback in a shape nobody expected: kept raw and shown to admins."""
    account: str = OWN_ACCOUNT
    """The Santo account whose report URL it came to."""


class Outcome(NamedTuple):
    """A report as it applies to its number (a tuple: one is made per report)."""

    account: str
    msgid: str
    number: str
    value: str
    code: str

    @property
    def key(self) -> tuple[str, str, str]:
        """The number it is about: (account, msgid, number)."""
        return (self.account, self.msgid, self.number)

    @property
    def status(self) -> NumberStatus:
        return status_of(self.value)


def status_of(value: str) -> NumberStatus:
    """The status a report's value gives its number."""
    return NumberStatus.DELIVERED if value == "0" else NumberStatus.FAILED


@dataclass
class CallbackBatch:
    """A batch of callbacks, sorted out for writing."""

    reports: dict[tuple[str, str, str, str, str], str] = field(default_factory=dict)
    """(account, msgid, number, value, code) → raw, the first of each key in arrival order."""
    bad: list[tuple[str, str]] = field(default_factory=list)
    """(raw, reason)"""
    inbound: list[tuple[str, str, str]] = field(default_factory=list)
    """(account, raw, command)"""
    messages: dict[tuple[str, str, str], tuple[str, InboundSms, str]] = field(default_factory=dict)
    """(account, momsgid, phone) → the account, the message and its callback's raw text, the first
    of each."""

    @classmethod
    def of(cls, callbacks: Sequence[Callback]) -> CallbackBatch:
        """The callbacks' rows; their free text made storable (the command cut to its column)."""
        batch = cls()
        for c in callbacks:
            raw = storable(c.raw)
            # An item of a MULTI_ request keeps its own text, not the whole request's.
            for r in c.reports:
                own = raw if len(c.reports) == 1 else f"rts={r.content}"
                batch.reports.setdefault((c.account, r.msgid, r.number, r.value, r.code), own)
            for m in c.messages:
                batch.messages.setdefault(
                    (c.account, m.momsgid, m.phone),
                    (c.account, m, raw if len(c.messages) == 1 else f"mos={m.item}"),
                )
            if c.bad_reason:
                batch.bad.append((raw, storable(c.bad_reason)))
            if c.command is not None:
                batch.inbound.append((c.account, raw, storable(c.command)[:_COMMAND_LENGTH]))
        return batch

    def keyed(self) -> list[tuple[tuple[str, str, str, str, str], str]]:
        """Reports in key order: two processes writing the same reports cannot deadlock. Stable:
        a number's reports keep their arrival order, so the first final one wins."""
        return sorted(self.reports.items(), key=lambda item: item[0][:3])
