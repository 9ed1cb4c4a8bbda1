"""Who may do what, and how much they may spend (issue: guardrails).

Sending: the user must be allowed (SMS_ALLOWED_USERS / SMS_ALLOWED_GROUPS, empty = everyone),
in an allowed channel (SMS_ALLOWED_CHANNELS, empty = any), within the per-send maximums and the
daily caps. Lookups only need an allowed user. Admins (SMS_ADMINS) may always do both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from datetime import time as day_time
from decimal import Decimal

from slack_sdk.errors import SlackApiError

from bot.pricing import Estimate, money
from bot.services import Services
from bot.store.audit import usage_since
from bot.store.db import now

GROUP_CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class Verdict:
    refusal: str | None = None
    needs_approval: bool = False


def is_admin(services: Services, user_id: str) -> bool:
    return user_id in services.settings.sms_admins


def whom_to_ask(services: Services) -> str:
    admins = services.settings.sms_admins
    if not admins:
        return "whoever set up this app"
    return ", ".join(f"<@{a}>" for a in admins[:5])


class Groups:
    """Members of Slack user groups, asked of Slack at most every few minutes."""

    def __init__(self) -> None:
        self._members: dict[str, tuple[float, frozenset[str]]] = {}

    async def members(self, services: Services, group: str) -> frozenset[str]:
        cached = self._members.get(group)
        if cached and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
            return cached[1]
        try:
            answer = await services.slack.usergroups_users_list(usergroup=group)
            members = frozenset(str(u) for u in answer.get("users") or [])
        except SlackApiError:
            members = cached[1] if cached else frozenset()
        self._members[group] = (time.monotonic(), members)
        return members


GROUPS = Groups()


async def user_allowed(services: Services, user_id: str) -> bool:
    settings = services.settings
    if is_admin(services, user_id):
        return True
    if not settings.sms_allowed_users and not settings.sms_allowed_groups:
        return True
    if user_id in settings.sms_allowed_users:
        return True
    for group in settings.sms_allowed_groups:
        if user_id in await GROUPS.members(services, group):
            return True
    return False


async def lookup_refusal(services: Services, user_id: str) -> str | None:
    if await user_allowed(services, user_id):
        return None
    return f"You are not allowed to use this app. Ask {whom_to_ask(services)} to add you."


def start_of_day(at: datetime) -> datetime:
    return datetime.combine(at.date(), day_time(0), tzinfo=at.tzinfo)


async def check_send(
    services: Services,
    team_id: str,
    user_id: str,
    channel_id: str,
    recipients: int,
    estimate: Estimate,
    exclude_send_id: int | None = None,
) -> Verdict:
    """Whether this send may go out now, must wait for an admin, or is refused (and why)."""
    settings = services.settings
    admin = is_admin(services, user_id)
    if not await user_allowed(services, user_id):
        return Verdict(f"You are not allowed to send SMS from Slack. Ask {whom_to_ask(services)} to add you.")
    allowed_channels = settings.sms_allowed_channels
    if allowed_channels and channel_id not in allowed_channels and not admin:
        listed = ", ".join(f"<#{c}>" for c in allowed_channels[:10])
        return Verdict(f"Sending is not allowed from <#{channel_id}>. Send from {listed}.")
    if recipients > settings.sms_max_recipients:
        most = settings.sms_max_recipients
        return Verdict(f"This send has {recipients:,} numbers; one send may have at most {most:,}.")
    cost = estimate.total
    cost_caps = [settings.sms_max_cost, settings.sms_user_daily_cost, settings.sms_daily_cost]
    if cost is None and any(cap is not None for cap in cost_caps):
        unpriced = ", ".join(estimate.unpriced[:5]) or "some countries"
        return Verdict(f"The cost can't be estimated (no price for {unpriced}), and spending is capped.")
    spend = cost or Decimal(0)
    if settings.sms_max_cost is not None and spend > _money(settings.sms_max_cost):
        return Verdict(
            f"This send ≈ {money(spend)}; one send may cost at most {money(_money(settings.sms_max_cost))}."
        )
    today = start_of_day(now())
    for user, max_numbers, max_cost, whose in (
        (user_id, settings.sms_user_daily_recipients, settings.sms_user_daily_cost, "you have"),
        (None, settings.sms_daily_recipients, settings.sms_daily_cost, "the workspace has"),
    ):
        if max_numbers is None and max_cost is None:
            continue
        used = await usage_since(services.db, team_id, today, user, exclude_send_id)
        if max_numbers is not None and used.recipients + recipients > max_numbers:
            left = max(0, max_numbers - used.recipients)
            return Verdict(f"This send has {recipients:,} numbers; {whose} {left:,} left today.")
        if max_cost is not None and used.cost + spend > _money(max_cost):
            left_cost = max(Decimal(0), _money(max_cost) - used.cost)
            return Verdict(f"This send ≈ {money(spend)}; {whose} {money(left_cost)} left today.")
    above_numbers = settings.sms_approval_above_recipients
    above_cost = settings.sms_approval_above_cost
    needs = (above_numbers is not None and recipients > above_numbers) or (
        above_cost is not None and spend > _money(above_cost)
    )
    if needs and not admin and not settings.sms_approvals_channel:
        return Verdict(
            "This send needs an admin's approval, but no approvals channel is set (SMS_APPROVALS_CHANNEL)."
        )
    return Verdict(needs_approval=needs and not admin)


def _money(value: float) -> Decimal:
    return Decimal(str(value))
