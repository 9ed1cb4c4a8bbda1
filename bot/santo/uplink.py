"""Uplink callbacks in every shape the protocol family uses (docs/platform.md, "Uplink").

The manual shows one shape (a single report, 4.3); gateways of the same family also send a
single report in their own words, many reports at once, and inbound SMS, one or many. Each is
parsed here into reports and inbound messages, with the answer its own family expects. A
callback in a shape nobody expected is not an error: it is kept raw and shown to admins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import quote

from bot.santo.codes import DELIVERED_CODE, SUCCESS
from bot.santo.reports import ReportError, StatusReport, decode_sm, parse_report

MAX_ITEMS = 1000
"""Items in one MULTI_ request: more is refused rather than half stored."""


class Shape(StrEnum):
    REPORT = "report"
    """The manual's: `msgid`, `da`, `rsm` (or `sm` in hex)."""
    FAMILY_REPORT = "family_report"
    """`mtmsgid`, `mtstat`, `mterrcode`; no number."""
    MULTI_REPORT = "multi_report"
    INBOUND = "inbound"
    MULTI_INBOUND = "multi_inbound"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class InboundSms:
    momsgid: str
    """The platform's id of the message, or a digest of it when the platform gave none."""
    phone: str
    """Who wrote: international digits."""
    to: str
    """What it was written to (a long number, a short code…); may be empty."""
    text: str
    item: str = ""
    """Its own item of a MULTI_MO_REQUEST (kept as its raw text instead of the whole request)."""


@dataclass(frozen=True)
class Uplink:
    shape: Shape
    answer: str
    """The body to answer with once everything in it is stored."""
    reports: tuple[StatusReport, ...] = ()
    messages: tuple[InboundSms, ...] = ()
    command: str = ""
    """The command as given (for a callback in an unknown shape)."""


def _quoted(value: str) -> str:
    return value if value.isascii() and value.isalnum() else quote(value)


def parse_uplink(params: Mapping[str, str], max_lengths: Mapping[str, int] = MappingProxyType({})) -> Uplink:
    """A callback's parameters (query and form together) → what it holds; `ReportError` for bad
    input inside a shape we know (said plainly, nothing of it to be stored)."""
    command = params.get("command", "").strip().upper()
    if command in ("RT_REQUEST", "") and params.get("msgid", "").strip():
        report = parse_report(params, max_lengths)
        answer = f"command=RT_RESPONSE&msgid={_quoted(report.msgid)}&rtstat=ACCEPTD&rterrcode=000"
        return Uplink(Shape.REPORT, answer, reports=(report,))
    if command == "RT_REQUEST":
        msgid = params.get("mtmsgid", "").strip()
        if not msgid:
            raise ReportError("missing msgid (neither msgid nor mtmsgid)")
        report = _family_report(msgid, params.get("mtstat", ""), params.get("mterrcode", ""), max_lengths)
        answer = f"command=RT_RESPONSE&mtmsgid={_quoted(msgid)}&rtstat=ACCEPTD&rterrcode=000"
        return Uplink(Shape.FAMILY_REPORT, answer, reports=(report,))
    if command == "MULTI_RT_REQUEST":
        reports = tuple(_rts_item(item, max_lengths) for item in _items(params, "rts"))
        return Uplink(
            Shape.MULTI_REPORT, "command=MULTI_RT_RESPONSE&rtstat=ACCEPTD&rterrcode=000", reports=reports
        )
    if command == "MO_REQUEST":
        message = _inbound(
            params.get("momsgid", ""),
            params.get("sa", ""),
            params.get("da", ""),
            params.get("dc", ""),
            params.get("sm", ""),
            max_lengths,
        )
        answer = f"command=MO_RESPONSE&momsgid={_quoted(message.momsgid)}&mostat=ACCEPTD&moerrcode=000"
        return Uplink(Shape.INBOUND, answer, messages=(message,))
    if command == "MULTI_MO_REQUEST":
        messages = tuple(_mos_item(item, max_lengths) for item in _items(params, "mos"))
        answer = "command=MULTI_MO_RESPONSE&mostat=ACCEPTD&moerrcode=000"
        return Uplink(Shape.MULTI_INBOUND, answer, messages=messages)
    response = command.removesuffix("_REQUEST") + "_RESPONSE" if command else "RESPONSE"
    answer = f"command={_quoted(response)}&stat=ACCEPTD&errcode=000"
    return Uplink(Shape.UNKNOWN, answer, command=command)


def _items(params: Mapping[str, str], name: str) -> list[str]:
    value = params.get(name, "").strip()
    if not value:
        raise ReportError(f"missing {name} (the list of items)")
    items = [item.strip() for item in value.split(",") if item.strip()]
    if len(items) > MAX_ITEMS:
        raise ReportError(f"{name} has {len(items)} items, at most {MAX_ITEMS}")
    return items


def _fields(item: str, name: str, count: int) -> list[str]:
    fields = item.split("/")
    if len(fields) != count:
        raise ReportError(f"an item of {name} has {len(fields)} fields, not {count}: {item[:80]!r}")
    return [field.strip() for field in fields]


def _rts_item(item: str, max_lengths: Mapping[str, int]) -> StatusReport:
    msgid, stat, error, _extra = _fields(item, "rts", 4)
    if not msgid:
        raise ReportError("an item of rts has no msgid")
    return _family_report(msgid, stat, error, max_lengths)


def _mos_item(item: str, max_lengths: Mapping[str, int]) -> InboundSms:
    momsgid, phone, to, _x, _y, dc, sm = _fields(item, "mos", 7)
    return replace(_inbound(momsgid, phone, to, dc, sm, max_lengths), item=item)


def _family_report(msgid: str, stat: str, error: str, max_lengths: Mapping[str, int]) -> StatusReport:
    """A report in the family's words: the status word, and an error code where it failed. It
    names no number: it applies to the msgid's one number, if the msgid has only one."""
    stat, error = stat.strip().upper(), error.strip()
    if not stat:
        raise ReportError("missing mtstat (the status word)")
    if stat == DELIVERED_CODE:
        value, code = "0", DELIVERED_CODE
    else:
        value = "500" if stat == "UNKNOWN" else "400"
        code = error if error and error != SUCCESS else stat
    content = f"{msgid}|{value}|{code}||"
    return parse_report({"msgid": msgid, "da": "", "rsm": content}, max_lengths, number_required=False)


def _inbound(
    momsgid: str, phone: str, to: str, dc: str, sm: str, max_lengths: Mapping[str, int]
) -> InboundSms:
    phone, to, momsgid = phone.strip().lstrip("+"), to.strip(), momsgid.strip()
    if not phone:
        raise ReportError("missing sa (the number that wrote)")
    if not (phone.isascii() and phone.isdigit()):
        raise ReportError("sa is not a number")
    if not (to.isprintable() and momsgid.isprintable()):
        raise ReportError("da or momsgid has a character that is not printable")
    text = decode_sm(sm, dc) if sm.strip() else ""
    if not momsgid:  # the same message delivered twice must be stored once
        momsgid = "sha1:" + hashlib.sha1(f"{phone}|{to}|{dc}|{sm}".encode()).hexdigest()[:32]
    for name, given in (("momsgid", momsgid), ("sa", phone), ("mo_da", to)):
        limit = max_lengths.get(name)
        if limit is not None and len(given) > limit:
            raise ReportError(
                f"{name.removeprefix('mo_')} is too long: {len(given)} characters, at most {limit}"
            )
    return InboundSms(momsgid=momsgid, phone=phone, to=to, text=text)
