"""The phones at the other end: which ones write back, and what a phone's message is."""

from __future__ import annotations

from dataclasses import dataclass

CODINGS: dict[str, str] = {"15": "gbk", "8": "utf-16-be", "0": "iso-8859-1"}
"""`dc` → the text's coding: 15 GBK, 8 UCS-2 (big-endian), 0 ISO-8859-1 (the manual, 4.1 and 4.3)."""
DEFAULT_DC = "15"

REPLIES: dict[str, str] = {"0777": "YES", "0778": "STOP"}
"""Last four digits of a number → what its phone writes back a moment after its delivery report."""


def reply_of(msisdn: str) -> str | None:
    """What the phone at `msisdn` answers a delivered message with; None: it stays silent."""
    for suffix, text in REPLIES.items():
        if msisdn.endswith(suffix):
            return text
    return None


def phone_number(raw: str) -> str:
    """`+8613910825657` or `8613910825657` → `8613910825657`; a ValueError for anything else."""
    digits = raw.strip().removeprefix("+")
    if not (digits.isascii() and digits.isdigit()) or not 6 <= len(digits) <= 20:
        raise ValueError(f"{raw!r} is not a phone number (international digits, + allowed)")
    return digits


def coding(dc: str) -> str:
    """The Python codec of a data coding; a ValueError for one the platform does not use."""
    codec = CODINGS.get(dc)
    if codec is None:
        raise ValueError(f"unknown data coding dc={dc!r} (one of 15 GBK, 8 UCS-2, 0 ISO-8859-1)")
    return codec


def hex_of(text: str, dc: str) -> str:
    """The `sm` of a text: the hex of its bytes in coding `dc`, lower case as in the manual, 4.3."""
    codec = coding(dc)
    try:
        return text.encode(codec).hex()
    except UnicodeEncodeError:
        raise ValueError(f"the text cannot be written in {codec} (dc={dc})") from None


def dc_for(text: str) -> str:
    """The coding a phone writes `text` in: GBK (15) when it can, else UCS-2 (8)."""
    try:
        hex_of(text, DEFAULT_DC)
    except ValueError:
        return "8"
    return DEFAULT_DC


@dataclass(frozen=True)
class PhoneMessage:
    """One SMS a phone wrote to the customer (an inbound message, MO)."""

    momsgid: str
    phone: str
    """Who wrote: international digits."""
    to: str
    """The sender id or service number it was written to."""
    text: str
    dc: str
    at: float

    @property
    def sm(self) -> str:
        return hex_of(self.text, self.dc)
