"""The low-balance alert (SANTO_LOW_BALANCE): every balance the app reads — the App Home, `/sms
balance`, a send's confirmation or check, and `BalanceWatch` every 15 minutes — is compared with
the threshold. Below it, one alert goes to SANTO_ALERT_CHANNEL, or to each admin's DM; it is not
posted again until the balance has been back at or above the threshold and falls again.

Exactly once however many processes check: the alert's notice row (`bot.store.balance_alerts`)
is claimed before posting, and stays while the alert stands. In distribution mode each
workspace is checked with its own account, and its alert goes to that workspace.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.domain.money import money
from bot.domain.mrkdwn import CODE_SHOWN, code
from bot.logs import log_context
from bot.santo.errors import SantoError
from bot.santo.models import Balance
from bot.services import Periodic, Services
from bot.store import balance_alerts, workspaces
from bot.store.db import now
from bot.store.tables import OWN_ACCOUNT

log = logging.getLogger(__name__)

CHECK_EVERY = 15 * 60.0
"""Seconds between two background checks of the balance."""
FIRST_CHECK_AFTER = 2.0
"""Seconds after start-up before the first: the built-in sandbox is listening by then."""
LEASE = timedelta(minutes=5)
"""How long a process that claimed the alert has to post it before another may."""


async def read_balance(services: Services) -> Balance:
    """The platform's balance (or its `SantoError`), checked against the threshold in the
    background: the answer that asked for it does not wait for the alert."""
    balance = await services.santo.balance()
    if services.settings.santo_low_balance is not None:
        services.background.spawn(check(services, balance))
    return balance


async def check(services: Services, balance: Balance) -> None:
    """Post the alert if the balance is below the threshold and no alert stands; forget it
    when the balance is back at or above the threshold."""
    threshold = services.settings.santo_low_balance
    account = _account(services)
    if threshold is None or account is None:
        return
    db = services.db
    with log_context(workspace=services.team_id):
        if balance.amount >= threshold:
            if await balance_alerts.kept(db, account):
                await balance_alerts.clear(db, account)
                log.info(
                    "balance %s is back at or above %s: the low-balance alert is over",
                    balance.amount,
                    threshold,
                )
            return
        if await balance_alerts.standing(db, account, now()):
            return
        if not await balance_alerts.claim(db, account, balance.amount, now(), LEASE):
            return  # another process has it
        if await _post(services, balance, threshold):
            await balance_alerts.posted(db, account, now())
        else:
            await balance_alerts.release(db, account)


def _account(services: Services) -> str | None:
    """The account the alert is kept for; None for the deployment's own services in distribution
    mode (they have no account)."""
    if not services.settings.distributed:
        return OWN_ACCOUNT
    return services.team_id


async def recipients(services: Services) -> list[str]:
    """Where the alert goes: SANTO_ALERT_CHANNEL, else each admin (SMS_ADMINS; in distribution
    mode also whoever connected the workspace's account)."""
    settings = services.settings
    if settings.santo_alert_channel:
        return [settings.santo_alert_channel]
    admins = list(settings.sms_admins)
    if settings.distributed and services.team_id:
        found = await workspaces.get(services.db, services.team_id)
        if found is not None and found.connected_by:
            admins.append(found.connected_by)
    return list(dict.fromkeys(admins))


async def _post(services: Services, balance: Balance, threshold: Decimal) -> bool:
    """Whether the alert reached anyone (or there is nobody to tell: said in the log)."""
    where = await recipients(services)
    if not where:
        log.warning(
            "the balance (%s) is below SANTO_LOW_BALANCE (%s) but the alert has nowhere to go: "
            "set SANTO_ALERT_CHANNEL or SMS_ADMINS",
            balance.amount,
            threshold,
        )
        return True
    t = services.languages.texts(None)
    text = t(
        "balance_alert.text",
        account=code(balance.cpid, CODE_SHOWN),
        balance=money(balance.amount),
        threshold=money(threshold),
    )
    reached = 0
    for channel in where:
        try:
            await services.slack.chat_postMessage(channel=channel, text=text)
            reached += 1
        except SlackApiError as exc:
            log.warning("could not post the low-balance alert to %s: %s", channel, exc.response.get("error"))
        except (SlackClientError, OSError, TimeoutError) as exc:
            log.warning("could not post the low-balance alert to %s: %s", channel, type(exc).__name__)
    if reached:
        log.info("low-balance alert posted: balance %s below %s", balance.amount, threshold)
    return reached > 0


class BalanceWatch(Periodic):
    """The balance checked every `every` seconds, so the alert comes even when nobody looks: the
    deployment's account, or each connected workspace's. A platform that cannot say is logged
    and asked again at the next round."""

    async def run(self) -> None:
        await self.services.pause(FIRST_CHECK_AFTER)
        await super().run()

    async def round(self) -> None:
        services = self.services
        if not services.settings.distributed:
            await self.watch(services)
            return
        for team_id in await workspaces.connected_teams(services.db):
            if services.stopping.is_set():
                return
            await self.watch(await services.for_team(team_id))

    async def watch(self, services: Services) -> None:
        if not services.connected:
            return
        with log_context(workspace=services.team_id):
            try:
                balance = await services.santo.balance()
            except SantoError as exc:
                log.warning("could not read the balance (%s); checking again in %g s", exc, self.every)
                return
            await check(services, balance)
