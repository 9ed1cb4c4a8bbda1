"""Amounts of money and the cost estimate of a send."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bot.i18n import Texts


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


def money(amount: Decimal) -> str:
    """`¥0.08`: the same in every language."""
    return f"¥{amount.quantize(Decimal('0.01'))}"


def money_or_unknown(t: Texts, amount: Decimal | None) -> str:
    """An amount that may not be known (no price for some country)."""
    return t("numbers.unknown_amount") if amount is None else money(amount)
