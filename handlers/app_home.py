"""The App Home tab (`app_home_opened` → `views.publish`), its Refresh and Send SMS buttons."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.models.views import View

from bot.domain.actor import Actor
from bot.i18n import Texts, texts_of
from bot.santo.errors import SantoError
from bot.santo.models import Balance
from bot.sending.guard import is_admin, lookup_refusal, start_of_day
from bot.services import Services
from bot.store.app_home import health, recent_sends
from bot.store.audit import usage_on
from bot.store.db import now
from bot.views.app_home import (
    Allowance,
    HomeFacts,
    SendLine,
    SetupHealth,
    build_home_view,
    build_notice_home,
)
from bot.views.ids import ActionId
from bot.views.send_modal import build_notice_view
from handlers.common import Interaction, explain, in_background, listener, open_send_modal

log = logging.getLogger(__name__)

LAST_SENDS = 10
REPORTS_WINDOW = timedelta(hours=24)


def _cap(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _duration(t: Texts, delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return t(f"app_home.duration.{unit}", n=seconds // size)
    return t("app_home.duration.s", n=seconds)


async def _balance(services: Services, t: Texts) -> tuple[Balance | None, str | None]:
    try:
        return await services.santo.balance(), None
    except SantoError as exc:
        return None, explain(t, exc)  # what it quotes of the platform's answer is escaped


async def allowances(services: Services, t: Texts, team_id: str, user_id: str) -> list[Allowance]:
    settings = services.settings
    today = start_of_day(now())
    mine, everyone = await asyncio.gather(
        usage_on(services.db, team_id, today, user_id), usage_on(services.db, team_id, today)
    )
    return [
        Allowance(
            t("app_home.today.you"),
            mine,
            settings.sms_user_daily_recipients,
            _cap(settings.sms_user_daily_cost),
        ),
        Allowance(
            t("app_home.today.workspace"),
            everyone,
            settings.sms_daily_recipients,
            _cap(settings.sms_daily_cost),
        ),
    ]


async def setup_health(
    services: Services, t: Texts, team_id: str, platform_problem: str | None
) -> SetupHealth:
    settings = services.settings
    at = now()
    stats = await health(services.db, team_id, at - REPORTS_WINDOW, at, settings.report_poll_after)
    token = settings.santo_report_token
    base = settings.public_url or "https://<your-app-host>"
    return SetupHealth(
        platform_problem=platform_problem,
        sandbox=settings.santo_sandbox,
        callback_url=f"{base}/santo/reports/{token.get_secret_value()}" if token else None,
        host_known=settings.public_url is not None,
        stats=stats,
        poll_after=_duration(t, settings.report_poll_after),
        give_up_after=_duration(t, settings.report_give_up_after),
    )


async def home_view(services: Services, t: Texts, team_id: str, user_id: str) -> View:
    """The user's Home tab, in their language, from the platform's balance and the stored state."""
    refusal = await lookup_refusal(services, user_id)
    if refusal:
        return build_notice_home(t, t.render(refusal), refresh=False)
    (balance, problem), today, views = await asyncio.gather(
        _balance(services, t),
        allowances(services, t, team_id, user_id),
        recent_sends(services.db, team_id, user_id, LAST_SENDS),
    )
    links = await asyncio.gather(
        *(services.permalinks.get(services.slack, v.send.channel_id, v.send.message_ts) for v in views)
    )
    admin_health = await setup_health(services, t, team_id, problem) if is_admin(services, user_id) else None
    facts = HomeFacts(
        updated_at=now(),
        balance=balance,
        balance_problem=problem,
        allowances=today,
        sends=[SendLine(view, link) for view, link in zip(views, links, strict=True)],
        health=admin_health,
    )
    return build_home_view(t, facts)


async def publish_home(services: Services, t: Texts, team_id: str, user_id: str) -> None:
    view = await home_view(services, t, team_id, user_id)
    await services.slack.views_publish(user_id=user_id, view=view)


async def refresh(interaction: Interaction) -> None:
    actor = interaction.actor
    await publish_home(interaction.services, interaction.t, actor.team_id, actor.user_id)


async def show_problem(interaction: Interaction, _exc: BaseException) -> None:
    """The Home tab says it could not be built, with a reference for the logs."""
    ref = uuid.uuid4().hex[:8]
    user_id, t = interaction.actor.user_id, interaction.t
    log.error("the Home tab of %s could not be built (reference %s)", user_id, ref)
    view = build_notice_home(t, t("app_home.problem", ref=ref))
    await interaction.services.slack.views_publish(user_id=user_id, view=view)


async def on_home_opened(event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Bolt acknowledges events at once; the page is built in the background."""
    if event.get("tab") != "home":
        return
    user_id = str(event.get("user") or "")
    team_id = str(body.get("team_id") or context.team_id or "")
    if user_id:
        actor = Actor(team_id, user_id, channel_id=None)
        opened = Interaction(Services.of(context), actor, texts_of(context), body)
        in_background(opened, refresh, on_error=show_problem)


async def send_sms(interaction: Interaction) -> None:
    """Send SMS: the Send modal, with a channel picker (the Home tab is in no channel)."""
    services, t, actor = interaction.services, interaction.t, interaction.actor
    if not actor.trigger_id:
        return
    refusal = await lookup_refusal(services, actor.user_id)
    if refusal:
        view = build_notice_view(t, t("app_home.send"), t.render(refusal))
        await services.slack.views_open(trigger_id=actor.trigger_id, view=view)
        return
    await open_send_modal(interaction, None)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(ActionId.HOME_REFRESH)(listener(refresh, on_error=show_problem))
    app.action(ActionId.HOME_SEND)(listener(send_sms))
