"""The sandbox's price list: one fixed, deterministic price per region it knows."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from bot.dev.sandbox.countries import ENGLISH_NAMES

FIXED_PRICES: dict[str, Decimal] = {"CN": Decimal("0.08")}
"""Prices the manual prints (4.5); every other region gets a derived one."""
MIN_CENTS = 2
MAX_CENTS = 60


def price_for(region: str) -> Decimal:
    """Price of one message part to `region`, in yuan with 2 decimals (0.02 to 0.60).

    Derived from a SHA-256 of the code, so it is the same in every run and on every machine.
    """
    fixed = FIXED_PRICES.get(region)
    if fixed is not None:
        return fixed
    digest = hashlib.sha256(f"santo-sandbox-price:{region}".encode()).digest()
    cents = MIN_CENTS + int.from_bytes(digest[:4], "big") % (MAX_CENTS - MIN_CENTS + 1)
    return Decimal(cents).scaleb(-2)


def is_priced_region(code: str) -> bool:
    """Whether `/get-pricing` knows `code`: an upper-case ISO code of the sandbox's country table."""
    return code in ENGLISH_NAMES


def english_name(region: str) -> str:
    """`/get-pricing`'s `country` (manual 4.5): the region's English name."""
    return ENGLISH_NAMES[region]
