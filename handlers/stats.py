"""`/sms stats [7d|30d|90d]`: the workspace's sending over a period, for people allowed lookups."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt.async_app import AsyncApp

from bot.sending.guard import lookup_refusal
from bot.store.db import now
from bot.store.stats import period_stats
from bot.views.stats import build_stats_text
from handlers.common import Interaction, Sub, answer, subcommands

PERIODS = {"": 7, "7d": 7, "30d": 30, "90d": 90}


async def stats_text(interaction: Interaction, rest: str) -> str:
    services, t, actor = interaction.services, interaction.t, interaction.actor
    refusal = await lookup_refusal(services, actor.user_id)
    if refusal:
        return t.render(refusal)
    days = PERIODS.get(rest.strip().lower())
    if days is None:
        return t("stats.usage")
    until = now()
    stats = await period_stats(services.db, actor.team_id, until - timedelta(days=days), until)
    return build_stats_text(t, stats, days)


def register(app: AsyncApp) -> None:
    subcommands(app).add(Sub.STATS, answer(stats_text))
