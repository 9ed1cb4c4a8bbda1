"""The App Home tab (`app_home_opened` → `views.publish`), its Refresh and Send SMS buttons."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.charts.publish import recent_chart, recent_image
from bot.domain.actor import Actor
from bot.domain.money import money
from bot.domain.mrkdwn import code
from bot.i18n import Texts, texts_of
from bot.santo.client import SantoClient
from bot.santo.errors import SantoError, SantoRejected
from bot.santo.models import Balance
from bot.sending.guard import is_admin, lookup_refusal, start_of_day
from bot.sending.low_balance import read_balance
from bot.services import Services
from bot.store import workspaces
from bot.store.app_home import health, recent_sends
from bot.store.audit import usage_on
from bot.store.db import now
from bot.store.digests import chart_file, keep_chart_file
from bot.store.models import PeriodStats
from bot.store.stats import period_stats
from bot.views.app_home import (
    Allowance,
    HomeFacts,
    SendLine,
    SetupHealth,
    build_home_view,
    build_notice_home,
)
from bot.views.ids import ActionId, CallbackId
from bot.views.santo_account import AccountForm, account_blocks, build_account_modal, build_connect_home
from bot.views.send_modal import build_notice_view
from bot.views.stats import build_stats_text
from handlers.common import Interaction, explain, in_background, listener, open_send_modal, update_view

log = logging.getLogger(__name__)

LAST_SENDS = 10
STATS_DAYS = 7
"""The Home tab shows the workspace's last 7 days (as `/sms stats 7d`)."""
REPORTS_WINDOW = timedelta(hours=24)
Period = tuple[datetime, datetime]


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
        return await read_balance(services), None
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


async def report_token(services: Services, team_id: str) -> str | None:
    """The secret in the report URL: the workspace's own (distribution mode) or SANTO_REPORT_TOKEN."""
    if services.settings.distributed:
        found = await workspaces.get(services.db, team_id)
        return found.report_token if found is not None else None
    token = services.settings.santo_report_token
    return token.get_secret_value() if token else None


async def setup_health(
    services: Services, t: Texts, team_id: str, platform_problem: str | None
) -> SetupHealth:
    settings = services.settings
    at = now()
    stats = await health(services.db, team_id, at - REPORTS_WINDOW, at, settings.report_poll_after)
    token = await report_token(services, team_id)
    base = settings.public_url or "https://<your-app-host>"
    return SetupHealth(
        platform_problem=platform_problem,
        sandbox=settings.santo_sandbox,
        callback_url=f"{base}/santo/reports/{token}" if token else None,
        host_known=settings.public_url is not None,
        stats=stats,
        poll_after=_duration(t, settings.report_poll_after),
        give_up_after=_duration(t, settings.report_give_up_after),
    )


async def may_manage(services: Services, team_id: str, user_id: str) -> bool:
    """Admins (SMS_ADMINS); in distribution mode also the workspace's admins and owners and
    whoever installed the app there."""
    if is_admin(services, user_id):
        return True
    if not services.settings.distributed:
        return False
    found = await workspaces.get(services.db, team_id)
    if found is not None and found.installed_by == user_id:
        return True
    try:
        user = (await services.slack.users_info(user=user_id)).get("user") or {}
    except SlackApiError as exc:
        log.warning(
            "users.info for %s failed (%s): not taken for an admin", user_id, exc.response.get("error")
        )
        return False
    return bool(user.get("is_admin") or user.get("is_owner"))


async def account_blocks_of(services: Services, t: Texts, team_id: str) -> list[Block]:
    if not services.settings.distributed:
        return []
    found = await workspaces.get(services.db, team_id)
    if found is None or not found.santo_cpid:
        return []
    return account_blocks(t, found.santo_cpid, found.santo_base_url or "", found.connected_by or "")


ChartDue = Callable[[], Awaitable[bool]]
"""Draws and keeps the Home tab's chart of the day: True once there is one to show."""


def chart_drawing(
    services: Services, t: Texts, team_id: str, figures: PeriodStats, period: Period
) -> ChartDue:
    account, day = services.account_of(team_id), period[1].date().isoformat()

    async def draw() -> bool:
        # Many opening the tab at once: one draws, the others find its chart kept.
        async with services.chart_locks.setdefault(account, asyncio.Lock()):
            if await chart_file(services.db, account, day, t.language) is not None:
                return True
            chart = await recent_chart(services, t, team_id, figures, period)
            if chart is None:
                return False
            await keep_chart_file(services.db, account, day, t.language, chart.file_id, now())
            return True

    return draw


async def home_view(services: Services, t: Texts, team_id: str, user_id: str) -> tuple[View, ChartDue | None]:
    """The user's Home tab, in their language, from the platform's balance and the stored state;
    and, when the day's chart of the workspace's last days is not drawn yet, what draws it (the
    tab is shown first without it: opening it stays quick)."""
    if not services.connected:  # distribution mode: the workspace has no Santo account yet
        return build_connect_home(t, await may_manage(services, team_id, user_id)), None
    refusal = await lookup_refusal(services, user_id)
    if refusal:
        return build_notice_home(t, t.render(refusal), refresh=False), None
    until = now()
    period = (until - timedelta(days=STATS_DAYS), until)
    (balance, problem), today, views, figures = await asyncio.gather(
        _balance(services, t),
        allowances(services, t, team_id, user_id),
        recent_sends(services.db, team_id, user_id, LAST_SENDS),
        period_stats(services.db, team_id, *period),
    )
    account, day = services.account_of(team_id), until.date().isoformat()
    kept = await chart_file(services.db, account, day, t.language) if figures.sends else None
    links = await asyncio.gather(
        *(services.permalinks.get(services.slack, v.send.channel_id, v.send.message_ts) for v in views)
    )
    manager = await may_manage(services, team_id, user_id)
    admin_health = await setup_health(services, t, team_id, problem) if manager else None
    facts = HomeFacts(
        updated_at=now(),
        balance=balance,
        balance_problem=problem,
        allowances=today,
        sends=[SendLine(view, link) for view, link in zip(views, links, strict=True)],
        health=admin_health,
        account=await account_blocks_of(services, t, team_id) if manager else [],
        stats=build_stats_text(t, figures, STATS_DAYS),
        chart=recent_image(t, kept[0], STATS_DAYS) if kept else None,
        chart_drawn_at=kept[1] if kept else None,
    )
    due = figures.sends > 0 and kept is None
    return build_home_view(t, facts), chart_drawing(services, t, team_id, figures, period) if due else None


async def publish_home(services: Services, t: Texts, team_id: str, user_id: str) -> None:
    view, chart_due = await home_view(services, t, team_id, user_id)
    await services.slack.views_publish(user_id=user_id, view=view)
    if chart_due is not None and await chart_due():
        view, _ = await home_view(services, t, team_id, user_id)
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


async def open_account_form(interaction: Interaction) -> None:
    """Connect (or change) the workspace's Santo account: only its admins and installer."""
    services, t, actor = interaction.services, interaction.t, interaction.actor
    if not actor.trigger_id:
        return
    if not await may_manage(services, actor.team_id, actor.user_id):
        view = build_notice_view(t, t("workspace.modal.title"), t("workspace.problem.only_admins"))
    else:
        view = build_account_modal(t)
    await services.slack.views_open(trigger_id=actor.trigger_id, view=view)


async def on_account_form(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """The form submitted: said wrong at once, else checked with a balance query (in the
    background: the platform may take longer than Slack waits) and only then saved."""
    interaction = Interaction.of(body, context)
    t = interaction.t
    form = AccountForm.read(view)
    errors = form.errors(t)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    external_id = f"santo-account-{uuid.uuid4().hex}"
    checking = build_notice_view(t, t("workspace.modal.title"), t("workspace.modal.checking"), external_id)
    await ack(response_action="update", view=checking)
    in_background(interaction, partial(check_and_save, form, external_id))


async def check_and_save(form: AccountForm, external_id: str, interaction: Interaction) -> None:
    services, t, actor = interaction.services, interaction.t, interaction.actor
    clients = services.clients
    if clients is None or not await may_manage(services, actor.team_id, actor.user_id):
        await update_view(
            services,
            external_id,
            build_notice_view(t, t("workspace.modal.title"), t("workspace.problem.only_admins"), external_id),
        )
        return
    config = replace(clients.santo_defaults, base_url=form.base_url, cpid=form.cpid, cppwd=form.password)
    async with SantoClient(config) as client:
        try:
            balance = await client.balance()
        except SantoError as exc:
            key = (
                "workspace.problem.refused"
                if isinstance(exc, SantoRejected)
                else "workspace.problem.unreachable"
            )
            problem = t(key, reason=explain(t, exc))
            await update_view(services, external_id, build_account_modal(t, problem, external_id))
            return
    sealed = clients.box.seal(form.password)
    account = workspaces.SantoAccount(form.cpid, sealed, form.base_url)
    await workspaces.connect(services.db, actor.team_id, account, actor.user_id, now())
    await clients.forget(actor.team_id)
    log.info("workspace %s: Santo account %s connected by %s", actor.team_id, form.cpid, actor.user_id)
    said = t("workspace.connected_now", cpid=code(form.cpid), balance=money(balance.amount))
    await update_view(
        services, external_id, build_notice_view(t, t("workspace.modal.title"), said, external_id)
    )
    await publish_home(await services.for_team(actor.team_id), t, actor.team_id, actor.user_id)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(ActionId.HOME_REFRESH)(listener(refresh, on_error=show_problem, needs_account=False))
    app.action(ActionId.HOME_SEND)(listener(send_sms))
    app.action(ActionId.HOME_CONNECT)(listener(open_account_form, needs_account=False))
    app.view(CallbackId.SANTO_ACCOUNT)(on_account_form)
