"""Prices from the platform, cached; they make a send's cost estimate."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from cachetools import TTLCache

from bot.domain.money import Estimate, RegionLine
from bot.domain.numbers import PhoneNumber
from bot.santo.client import SantoClient
from bot.santo.errors import SantoError
from bot.santo.models import Price

REGIONS_KEPT = 512
"""More than there are countries."""


class PriceBook:
    """Per-country prices, asked of the platform once per `ttl` seconds."""

    def __init__(self, client: SantoClient, ttl: float = 3600.0) -> None:
        self.client = client
        self._cache: TTLCache[str, Price] = TTLCache(REGIONS_KEPT, ttl)
        self._lock = asyncio.Semaphore(4)

    async def price(self, region: str) -> Price:
        region = region.upper()
        cached = self._cache.get(region)
        if cached is not None:
            return cached
        async with self._lock:
            price = await self.client.price(region)
        self._cache[region] = price
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
