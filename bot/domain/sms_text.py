"""Message text rules: GSM-7 or UCS-2, how many parts, and sender ids (manual 4.1 `sa`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import Msg, Problem

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
"""Characters sent as an escape plus a code: they count twice."""

_SENDER_DIGITS = re.compile(r"^[0-9]{1,16}$")
_SENDER_ALNUM = re.compile(r"^[A-Za-z0-9]{1,11}$")


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class TextInfo:
    encoding: Encoding
    units: int
    """Septets for GSM-7, UTF-16 code units for UCS-2."""
    parts: int


# (single-part limit, per-part limit when concatenated)
_LIMITS = {Encoding.GSM7: (160, 153), Encoding.UCS2: (70, 67)}


def _unit_costs(text: str) -> tuple[Encoding, list[int]]:
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        return Encoding.GSM7, [2 if c in GSM7_EXTENSION else 1 for c in text]
    return Encoding.UCS2, [2 if ord(c) > 0xFFFF else 1 for c in text]


def analyse(text: str) -> TextInfo:
    """Encoding and part count, packing characters so none is split across parts."""
    encoding, costs = _unit_costs(text)
    units = sum(costs)
    single, per_part = _LIMITS[encoding]
    if units == 0:
        return TextInfo(encoding, 0, 0)
    if units <= single:
        return TextInfo(encoding, units, 1)
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts += 1
            used = 0
        used += cost
    return TextInfo(encoding, units, parts)


MOST_UNICODE_ONLY = 5
"""At most this many different characters are "a few" that alone make a text Unicode."""


def unicode_only_because_of(text: str) -> tuple[str, ...]:
    """The few characters (an emoji, a curly quote) that alone make a mostly standard text
    Unicode (UCS-2), in order of appearance; () when the text is GSM-7 or mostly Unicode."""
    odd = tuple(c for c in dict.fromkeys(text) if c not in GSM7_BASIC and c not in GSM7_EXTENSION)
    occurrences = sum(1 for c in text if c in odd)
    if not odd or len(odd) > MOST_UNICODE_ONLY or occurrences * 4 > len(text):
        return ()
    return odd


def without(text: str, characters: tuple[str, ...]) -> str:
    return "".join(c for c in text if c not in characters)


class SenderIdError(Problem):
    """A sender id the platform would refuse; `reason` says why."""

    @property
    def reason(self) -> Msg:
        return self.message


def validate_sender_id(sender: str) -> str:
    """Check a custom sender id: digits only up to 16, with letters up to 11, nothing else."""
    value = sender.strip()
    if _SENDER_DIGITS.match(value) or _SENDER_ALNUM.match(value):
        return value
    if not value:
        raise SenderIdError(Msg.of("numbers.sender_id.empty"))
    if not value.isascii() or not value.isalnum():
        raise SenderIdError(Msg.of("numbers.sender_id.characters"))
    kind = "digits" if value.isdigit() else "letters"
    raise SenderIdError(Msg.of(f"numbers.sender_id.{kind}", n=len(value)))
