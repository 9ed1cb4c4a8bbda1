"""Parsing the platform's answers, tolerant as the spec asks (field order, typos, encodings)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from bot.santo.codes import ACCEPTED, SUCCESS, normalise_code
from bot.santo.models import SubmitResult

_CODE_FIELDS = ("mterrcode", "mtterrcode", "errcode")


class ParseError(ValueError):
    """An answer that does not have the manual's shape."""


def parse_fields(body: str) -> dict[str, str]:
    """`a=1&b=2` → dict; accepts URL-encoded bodies, any field order, trailing whitespace."""
    text = body.strip()
    if "=" not in text and "%3d" in text.lower():
        text = unquote_plus(text).strip()
    return {key.strip().lower(): value.strip() for key, value in parse_qsl(text, keep_blank_values=True)}


def parse_submit(body: str, numbers: tuple[str, ...] = ()) -> SubmitResult:
    """Parse an MT/MULTI_MT/VO response line (manual 4.1, 4.2)."""
    fields = parse_fields(body)
    status = fields.get("mtstat")
    if not status:
        raise ParseError("no mtstat in the platform's answer")
    code = next((normalise_code(fields[name]) for name in _CODE_FIELDS if fields.get(name)), "")
    if status.upper() == ACCEPTED and not code:
        raise ParseError("ACCEPTD without an error code")  # sent or not: nobody can tell
    # As the public clients read it: accepted only when the status and the code both say so.
    accepted = status.upper() == ACCEPTED and code == SUCCESS
    msgid = fields.get("mtmsgid") or None
    if accepted and not msgid:
        raise ParseError("accepted without a message id")
    return SubmitResult(
        command=fields.get("command", ""),
        accepted=accepted,
        code=code or (SUCCESS if accepted else "0600"),
        msgid=msgid,
        numbers=numbers,
    )


def parse_json(body: str) -> Any:
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError as exc:
        raise ParseError(f"not JSON: {exc}") from None


def error_code(record: Any) -> str:
    """The `errcode` of a JSON answer (string or number). An answer without one is unreadable:
    it says neither success nor what went wrong."""
    if not isinstance(record, dict):
        raise ParseError("expected a JSON object")
    raw = record.get("errcode", record.get("mterrcode"))
    if raw in (None, ""):
        raise ParseError("no errcode in the answer")
    return normalise_code(raw)


def decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ParseError(f"{name} is not a number: {str(value)[:40]!r}")
    return number
