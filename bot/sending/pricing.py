"""Prices from the platform, cached, and cost estimates for a send."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from bot.domain.numbers import PhoneNumber
from bot.i18n import Texts
from bot.santo.client import SantoClient
from bot.santo.errors import SantoError
from bot.santo.models import Price


@dataclass(frozen=True)
class RegionLine:
    region: str
    """ISO code: its name for people is `country_name(region, language)`."""
    count: int
    price: Decimal | None
    """Per message part; None when the platform did not give one."""

    @property
    def cost(self) -> Decimal | None:
        return None if self.price is None else self.price * self.count


@dataclass
class Estimate:
    parts: int
    lines: list[RegionLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal | None:
        """Cost of the whole send, or None when some country has no price."""
        costs = [line.cost for line in self.lines]
        if any(cost is None for cost in costs):
            return None
        return sum((c for c in costs if c is not None), Decimal(0)) * self.parts

    @property
    def known_total(self) -> Decimal:
        return sum((line.cost or Decimal(0) for line in self.lines), Decimal(0)) * self.parts


class PriceBook:
    """Per-country prices, asked of the platform once per `ttl` seconds."""

    def __init__(self, client: SantoClient, ttl: float = 3600.0) -> None:
        self.client = client
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Price]] = {}
        self._lock = asyncio.Semaphore(4)

    async def price(self, region: str) -> Price:
        region = region.upper()
        cached = self._cache.get(region)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        async with self._lock:
            price = await self.client.price(region)
        self._cache[region] = (time.monotonic(), price)
        return price

    async def estimate(self, numbers: Iterable[PhoneNumber], parts: int) -> Estimate:
        counts = Counter(n.region for n in numbers)

        async def line(region: str, count: int) -> RegionLine:
            try:
                price: Decimal | None = (await self.price(region)).price
            except SantoError:
                price = None
            return RegionLine(region, count, price)

        lines = await asyncio.gather(*(line(r, c) for r, c in counts.most_common()))
        return Estimate(parts=parts, lines=list(lines))


def money(amount: Decimal) -> str:
    """`¥0.08`: the same in every language."""
    return f"¥{amount.quantize(Decimal('0.01'))}"


def money_or_unknown(t: Texts, amount: Decimal | None) -> str:
    """An amount that may not be known (no price for some country)."""
    return t("numbers.unknown_amount") if amount is None else money(amount)
