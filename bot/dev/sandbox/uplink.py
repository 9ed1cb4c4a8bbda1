"""What the sandbox calls the customer's URL with: status reports and phones' messages, in each
uplink shape of the protocol family, and how it judges the answers.

Reports: the manual's RT_REQUEST (4.3), the family's RT_REQUEST (`mtmsgid`, `mtstat`,
`mterrcode`; no number) and MULTI_RT_REQUEST (`rts=<msgid>/<stat>/<err>/<done>,…` in a POST
body). Phones' messages: MO_REQUEST and MULTI_MO_REQUEST (`mos=<momsgid>/<sa>/<da>/0/0/<dc>/<sm>,…`
in a POST body). Each is accepted only by its own `*_RESPONSE` with `rtstat` (or `mostat`) ACCEPTD.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl, quote

from yarl import URL

from bot.dev.sandbox.phone import PhoneMessage, hex_of
from bot.santo.codes import ACCEPTED, DELIVERED_CODE, SUCCESS, Command

REPORT_DC = "15"
"""Data coding of the report's `sm`: 15 = GBK (the manual, 4.3)."""
MULTI_ITEMS = 100
"""Items in one MULTI_ request at most; more go in further requests."""
FAILED_WORD = "UNDELIV"
UNKNOWN_WORD = "UNKNOWN"
"""The family's status words for a failed report and for one whose fate is unknown (501)."""


def report_value(code: str) -> str:
    """Status value of a status code (the manual, 5.2): DELIVRD → 0, 401..404 → 400, 501 → 500."""
    if code == DELIVERED_CODE:
        return "0"
    if code == "501":
        return "500"
    return "400"


def report_content(msgid: str, code: str) -> str:
    """`0513594772db8c|0|DELIVRD||`, `0513594772db8c|400|404||` (the manual, 4.3)."""
    return f"{msgid}|{report_value(code)}|{code}||"


def report_hex(content: str) -> str:
    """The report's `sm`: hex of the content's GBK bytes, lower case as in the manual."""
    return hex_of(content, REPORT_DC)


def family_status(code: str) -> tuple[str, str]:
    """A status code in the family's words: (mtstat, mterrcode)."""
    if code == DELIVERED_CODE:
        return DELIVERED_CODE, SUCCESS
    return (UNKNOWN_WORD if code == "501" else FAILED_WORD), code


def report_url(callback_url: str, query: str) -> URL:
    """The callback URL with the callback's fields after any query it already has (a token)."""
    base = URL(callback_url)
    existing = base.raw_query_string
    joined = f"{existing}&{query}" if existing else query
    bare = str(base.with_query(None).with_fragment(None))
    return URL(f"{bare}?{joined}", encoded=True)


def describe_url(url: str) -> str:
    """A callback URL for logs: scheme, host and path, never its query (it may hold a token)."""
    try:
        parsed = URL(url)
        return str(parsed.with_query(None).with_fragment(None).with_user(None))
    except (ValueError, TypeError):
        return "<invalid URL>"


@dataclass(frozen=True)
class Item:
    """One report, or one phone's message, inside a callback (for the delivery log)."""

    msgid: str
    """The report's msgid, or the message's momsgid."""
    da: str
    """The number the report is about, or the phone that wrote."""
    code: str
    """The report's status code (DELIVRD, 401, …); empty for a phone's message."""


@dataclass(frozen=True)
class Outgoing:
    """One callback: its command, its fields in order, and whether they go in a POST body."""

    command: Command
    fields: tuple[tuple[str, str], ...]
    items: tuple[Item, ...]
    post: bool = False

    @property
    def answer(self) -> str:
        """The command the customer must answer with: MO_REQUEST → MO_RESPONSE, …"""
        return self.command.value.removesuffix("_REQUEST") + "_RESPONSE"

    def encoded(self) -> str:
        """The fields as a query string (or form body); `|`, `/` and `,` left as printed."""
        return "&".join(f"{key}={quote(value, safe='|/,')}" for key, value in self.fields)

    def refusal(self, status: int, body: str) -> str | None:
        """Why the customer's answer does not accept this callback; None when it does."""
        if status != 200:
            return f"HTTP {status}"
        stat = "mostat" if "MO_" in self.command.value else "rtstat"
        answer = dict(parse_qsl(body.strip(), keep_blank_values=True))
        if answer.get("command", "").upper() != self.answer or answer.get(stat, "").upper() != ACCEPTED:
            return f"answered {body.strip()[:80]!r}, not {self.answer} with {stat}={ACCEPTED}"
        return None


Job = tuple[Outgoing, ...]
"""A callback and its duplicate copy, delivered one after the other."""


@dataclass(frozen=True)
class Due:
    """A report that has come due: the number, its status code, whether it goes twice."""

    msisdn: str
    code: str
    duplicate: bool = False


_T = TypeVar("_T")


def _jobs(
    multi: bool,
    entries: Sequence[_T],
    twice: Callable[[_T], bool],
    one: Callable[[_T], Outgoing],
    many: Callable[[Sequence[_T]], Outgoing],
) -> list[Job]:
    """Each entry in its own callback, or (multi) the entries in batches of MULTI_ITEMS; the
    entries delivered twice go again after their first delivery."""
    if not multi:
        return [(one(e), one(e)) if twice(e) else (one(e),) for e in entries]
    jobs: list[Job] = []
    for start in range(0, len(entries), MULTI_ITEMS):
        chunk = entries[start : start + MULTI_ITEMS]
        again = [e for e in chunk if twice(e)]
        jobs.append((many(chunk), many(again)) if again else (many(chunk),))
    return jobs


def report_jobs(shape: str, cpid: str, msgid: str, due: Sequence[Due], at: float) -> list[Job]:
    """The callbacks of a message's reports that came due together, in `shape` (see config)."""

    def manual(report: Due) -> Outgoing:
        content = report_content(msgid, report.code)
        fields = (
            ("command", Command.RT_REQUEST.value),
            ("msgid", msgid),
            ("da", report.msisdn),
            ("dc", REPORT_DC),
            ("sm", report_hex(content)),
            ("rsm", content),
        )
        return Outgoing(Command.RT_REQUEST, fields, (Item(msgid, report.msisdn, report.code),))

    def family(report: Due) -> Outgoing:
        stat, error = family_status(report.code)
        fields = (
            ("command", Command.RT_REQUEST.value),
            ("cpid", cpid),
            ("mtmsgid", msgid),
            ("mtstat", stat),
            ("mterrcode", error),
        )
        return Outgoing(Command.RT_REQUEST, fields, (Item(msgid, report.msisdn, report.code),))

    def batch(reports: Sequence[Due]) -> Outgoing:
        done = time.strftime("%Y%m%d%H%M%S", time.localtime(at))
        rts = ",".join("/".join((msgid, *family_status(r.code), done)) for r in reports)
        fields = (("command", Command.MULTI_RT_REQUEST.value), ("cpid", cpid), ("rts", rts))
        items = tuple(Item(msgid, r.msisdn, r.code) for r in reports)
        return Outgoing(Command.MULTI_RT_REQUEST, fields, items, post=True)

    return _jobs(shape == "multi", due, lambda r: r.duplicate, family if shape == "family" else manual, batch)


def inbound_jobs(shape: str, messages: Sequence[PhoneMessage]) -> list[Job]:
    """The callbacks of phones' messages that came due together, in `shape` (single or multi)."""

    def single(m: PhoneMessage) -> Outgoing:
        fields = (
            ("command", Command.MO_REQUEST.value),
            ("momsgid", m.momsgid),
            ("sa", m.phone),
            ("da", m.to),
            ("dc", m.dc),
            ("sm", m.sm),
        )
        return Outgoing(Command.MO_REQUEST, fields, (Item(m.momsgid, m.phone, ""),))

    def batch(batch: Sequence[PhoneMessage]) -> Outgoing:
        mos = ",".join("/".join((m.momsgid, m.phone, m.to, "0", "0", m.dc, m.sm)) for m in batch)
        items = tuple(Item(m.momsgid, m.phone, "") for m in batch)
        fields = (("command", Command.MULTI_MO_REQUEST.value), ("mos", mos))
        return Outgoing(Command.MULTI_MO_REQUEST, fields, items, post=True)

    return _jobs(shape == "multi", messages, lambda _m: False, single, batch)
