"""What a confirmation shows before a send: the estimate (prices are cached) and the balance,
asked together."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from slack_sdk.models.blocks import Block

from bot.domain.money import Estimate
from bot.domain.send_request import SendRequest
from bot.domain.spreadsheet import FileSendPlan
from bot.i18n import Texts
from bot.santo.errors import SantoError
from bot.sending.low_balance import read_balance
from bot.sending.opt_outs import without_opted_out
from bot.sending.send import estimate_for
from bot.services import Services
from bot.views.confirm import build_confirmation_blocks
from bot.views.file_send import build_file_confirmation_blocks


async def known_balance(services: Services) -> Decimal | None:
    """The balance, or None when the platform cannot say (the confirmation goes without it)."""
    try:
        return (await read_balance(services)).amount
    except SantoError:
        return None


async def review(
    services: Services, t: Texts, request: SendRequest, duplicates: int = 0
) -> tuple[list[Block], Estimate]:
    """The confirmation's content, and the estimate it shows (numbers that opted out are left
    out of it, and said so)."""
    request = await without_opted_out(services, request)
    estimate, amount = await asyncio.gather(
        services.prices.estimate(request.numbers, request.parts), known_balance(services)
    )
    return build_confirmation_blocks(t, request, estimate, amount, duplicates), estimate


async def review_file(services: Services, t: Texts, request: SendRequest, plan: FileSendPlan) -> list[Block]:
    """The confirmation of a send from a file: its rows, and what each number's message costs."""
    request = await without_opted_out(services, request)
    estimate, amount = await asyncio.gather(estimate_for(services, request), known_balance(services))
    return build_file_confirmation_blocks(t, request, plan, estimate, amount)


async def balance_short(services: Services, estimate: Estimate) -> tuple[Decimal, Decimal] | None:
    """(cost, balance) when the balance is known and below the estimated cost (the platform
    would refuse the send with 0107); None otherwise."""
    cost = estimate.total
    if cost is None:
        return None
    balance = await known_balance(services)
    return (cost, balance) if balance is not None and cost > balance else None


def needs_confirmation(services: Services, request: SendRequest, estimate: Estimate) -> bool:
    """A quick send goes at once when small and cheap; otherwise its confirmation is shown first."""
    settings = services.settings
    if len(request.numbers) > settings.sms_confirm_above_recipients:
        return True
    total = estimate.total
    return total is None or total > Decimal(str(settings.sms_confirm_above_cost))
