"""Who may do what, and how much they may spend (issue: guardrails).

Sending: the user must be allowed (SMS_ALLOWED_USERS / SMS_ALLOWED_GROUPS, empty = everyone),
in an allowed channel (SMS_ALLOWED_CHANNELS, empty = any), within the per-send maximums and the
daily caps. Lookups only need an allowed user. Admins (SMS_ADMINS) may always do both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import time as day_time
from decimal import Decimal

from bot.domain.actor import WORKFLOW
from bot.domain.money import Estimate, money
from bot.domain.numbers import country_name, in_every_language
from bot.i18n import Msg
from bot.services import Services
from bot.store.audit import usage_on
from bot.store.db import now


@dataclass(frozen=True)
class Verdict:
    refusal: Msg | None = None
    needs_approval: bool = False


def is_admin(services: Services, user_id: str) -> bool:
    return user_id in services.settings.sms_admins


def whom_to_ask(services: Services) -> Msg | str:
    """The admins to ask (as mentions), or who set up the app when none is configured."""
    admins = services.settings.sms_admins
    if not admins:
        return Msg.of("guard.nobody")
    return ", ".join(f"<@{a}>" for a in admins[:5])


async def user_allowed(services: Services, user_id: str) -> bool:
    settings = services.settings
    if is_admin(services, user_id):
        return True
    if not settings.sms_allowed_users and not settings.sms_allowed_groups:
        return True
    if user_id in settings.sms_allowed_users:
        return True
    for group in settings.sms_allowed_groups:
        if user_id in await services.groups.members(services.slack, group):
            return True
    return False


async def lookup_refusal(services: Services, user_id: str) -> Msg | None:
    if await user_allowed(services, user_id):
        return None
    return Msg.of("guard.not_allowed", whom=whom_to_ask(services))


async def may_see_send(services: Services, user_id: str, sender_id: str, channel_id: str) -> bool:
    """Who may read a send's results: its sender, admins, and whoever may send in its channel."""
    if user_id == sender_id or is_admin(services, user_id):
        return True
    allowed_channels = services.settings.sms_allowed_channels
    if allowed_channels and channel_id not in allowed_channels:
        return False
    return await user_allowed(services, user_id)


def start_of_day(at: datetime) -> datetime:
    return datetime.combine(at.date(), day_time(0), tzinfo=at.tzinfo)


async def check_send(
    services: Services,
    team_id: str,
    user_id: str,
    channel_id: str,
    recipients: int,
    estimate: Estimate,
    *,
    approved: bool = False,
    exclude_send_id: int | None = None,
) -> Verdict:
    """Whether this send may go out now, must wait for an admin, or is refused (and why).

    `approved`: an admin approved it (or it was stored once its approval was settled): it needs
    no approval, every other check holds. `exclude_send_id`: the send checked, already stored
    (a scheduled send when it is due), is not counted twice against the daily caps."""
    settings = services.settings
    admin = is_admin(services, user_id)
    workflow = user_id == WORKFLOW
    if not await user_allowed(services, user_id):
        refusal = "guard.workflow_not_allowed" if workflow else "guard.not_allowed_to_send"
        return Verdict(Msg.of(refusal, whom=whom_to_ask(services)))
    allowed_channels = settings.sms_allowed_channels
    if allowed_channels and channel_id not in allowed_channels and not admin:
        listed = ", ".join(f"<#{c}>" for c in allowed_channels[:10])
        if not channel_id:  # a workflow step without a report channel
            return Verdict(Msg.of("guard.workflow_channel", allowed=listed))
        return Verdict(Msg.of("guard.channel", channel=channel_id, allowed=listed))
    if recipients > settings.sms_max_recipients:
        return Verdict(Msg.of("guard.max_recipients", n=recipients, most=settings.sms_max_recipients))
    cost = estimate.total
    cost_caps = [settings.sms_max_cost, settings.sms_user_daily_cost, settings.sms_daily_cost]
    if cost is None and any(cap is not None for cap in cost_caps):
        return Verdict(Msg.of("guard.no_estimate", unpriced=unpriced_names(estimate)))
    spend = cost or Decimal(0)
    if settings.sms_max_cost is not None and spend > _money(settings.sms_max_cost):
        return Verdict(Msg.of("guard.max_cost", cost=money(spend), most=money(_money(settings.sms_max_cost))))
    today = start_of_day(now())
    own = "workflow" if workflow else "you"  # every workflow step together is one sender
    for user, max_numbers, max_cost, whose in (
        (user_id, settings.sms_user_daily_recipients, settings.sms_user_daily_cost, own),
        (None, settings.sms_daily_recipients, settings.sms_daily_cost, "workspace"),
    ):
        if max_numbers is None and max_cost is None:
            continue
        used = await usage_on(services.db, team_id, today, user, exclude_send_id)
        if max_numbers is not None and used.recipients + recipients > max_numbers:
            left = max(0, max_numbers - used.recipients)
            return Verdict(Msg.of(f"guard.daily.{whose}.numbers", n=recipients, left=left))
        if max_cost is not None and used.cost + spend > _money(max_cost):
            left_cost = max(Decimal(0), _money(max_cost) - used.cost)
            return Verdict(Msg.of(f"guard.daily.{whose}.cost", cost=money(spend), left=money(left_cost)))
    above_numbers = settings.sms_approval_above_recipients
    above_cost = settings.sms_approval_above_cost
    needs = (above_numbers is not None and recipients > above_numbers) or (
        above_cost is not None and spend > _money(above_cost)
    )
    needs = needs and not admin and not approved
    if needs and not settings.sms_approvals_channel:
        return Verdict(Msg.of("guard.no_approvals_channel"))
    return Verdict(needs_approval=needs)


def unpriced_names(estimate: Estimate) -> dict[str, str]:
    """The first countries without a price, in every language (a `Msg` value)."""
    regions = [line.region for line in estimate.lines if line.price is None][:5]
    return in_every_language(lambda language: ", ".join(country_name(r, language) for r in regions))


def _money(value: float) -> Decimal:
    return Decimal(str(value))
