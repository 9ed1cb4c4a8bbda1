"""Status-report callbacks (manual 4.3): the platform's parameters → a typed report."""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.i18n import Msg
from bot.santo.codes import Command, report_meaning

CODINGS = {"15": "gbk", "8": "utf-16-be", "0": "iso-8859-1"}
"""`dc` values the manual and public clients use."""

_CONTENT = re.compile(r"^(?P<msgid>[^|]*)\|(?P<value>[0-9]+)\|(?P<code>[^|]*)\|\|?\s*$")


class ReportError(ValueError):
    """A report that cannot be understood; the message says what is wrong."""


@dataclass(frozen=True)
class StatusReport:
    msgid: str
    number: str
    value: str
    """Status value: 0 delivered, 400 failed, 500 unknown error (table 5.2)."""
    code: str
    """Status code: DELIVRD, 401…404, 501."""
    content: str

    @property
    def delivered(self) -> bool:
        return self.value == "0"

    @property
    def meaning(self) -> Msg:
        return report_meaning(self.value, self.code)


def is_status_report(params: Mapping[str, str]) -> bool:
    return params.get("command", "").strip().upper() == Command.RT_REQUEST


def decode_sm(sm: str, dc: str) -> str:
    coding = CODINGS.get(dc.strip() or "15")
    if coding is None:
        raise ReportError(f"unknown data coding dc={dc!r} (known: 15 GBK, 8 UCS-2, 0 ISO-8859-1)")
    try:
        raw = binascii.unhexlify(sm.strip())
    except (binascii.Error, ValueError):
        raise ReportError("sm is not valid hex") from None
    try:
        return raw.decode(coding)
    except UnicodeDecodeError:
        raise ReportError(f"sm is not valid {coding} text") from None


def parse_report(
    params: Mapping[str, str],
    max_lengths: Mapping[str, int] = MappingProxyType({}),
    *,
    number_required: bool = True,
) -> StatusReport:
    """Parse an RT_REQUEST's parameters; `rsm` wins when present, else `sm` is decoded by `dc`.

    `max_lengths`: the most characters each of msgid, da, value and code may have (where the
    report is to be kept); a longer one is refused, said by its name. Without `number_required`,
    a report may name no number (`da` empty: the family's shapes)."""
    msgid = params.get("msgid", "").strip()
    if not msgid:
        raise ReportError("missing msgid")
    if not msgid.isprintable():
        raise ReportError("msgid has a character that is not printable")
    number = params.get("da", "").strip().lstrip("+")
    if not number and number_required:
        raise ReportError("missing da (the destination number)")
    if number and not (number.isascii() and number.isdigit()):
        raise ReportError("da is not a number")
    content = params.get("rsm", "").strip()
    if not content:
        if not params.get("sm", "").strip():
            raise ReportError("missing report content (neither rsm nor sm)")
        content = decode_sm(params["sm"], params.get("dc", "15"))
    match = _CONTENT.match(content)
    if not match:
        raise ReportError(f"content is not of the form msgid|value|code||: {content[:80]!r}")
    if match["msgid"] and match["msgid"] != msgid:
        raise ReportError(f"content is for msgid {match['msgid']!r}, not {msgid!r}")
    code = match["code"].strip()
    if not code:
        raise ReportError("content has no status code")
    if not code.isprintable():
        raise ReportError("the status code has a character that is not printable")
    value = match["value"]
    for name, given in (("msgid", msgid), ("da", number), ("value", value), ("code", code)):
        limit = max_lengths.get(name)
        if limit is not None and len(given) > limit:
            raise ReportError(f"{name} is too long: {len(given)} characters, at most {limit}")
    return StatusReport(msgid=msgid, number=number, value=value, code=code, content=content)
