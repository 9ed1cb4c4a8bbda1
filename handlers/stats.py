"""`/sms stats [7d|30d|90d]`: the workspace's sending over a period, for people allowed lookups:
the figures, and the chart under them when anything was sent."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt.async_app import AsyncApp

from bot.charts.publish import recent_chart
from bot.sending.guard import lookup_refusal
from bot.store.db import now
from bot.store.stats import period_stats
from bot.views.stats import build_stats_blocks, build_stats_text
from handlers.common import Interaction, Sub, subcommands

PERIODS = {"": 7, "7d": 7, "30d": 30, "90d": 90}


async def stats(interaction: Interaction, rest: str) -> None:
    services, t, actor = interaction.services, interaction.t, interaction.actor
    refusal = await lookup_refusal(services, actor.user_id)
    if refusal:
        await interaction.whisper(t.render(refusal))
        return
    days = PERIODS.get(rest.strip().lower())
    if days is None:
        await interaction.whisper(t("stats.usage"))
        return
    until = now()
    since = until - timedelta(days=days)
    figures = await period_stats(services.db, actor.team_id, since, until)
    text = build_stats_text(t, figures, days)
    chart = await recent_chart(services, t, actor.team_id, figures, (since, until)) if figures.sends else None
    await interaction.reply(
        text=text,
        blocks=build_stats_blocks(text, chart),
        response_type="ephemeral",
        replace_original=False,
    )


def register(app: AsyncApp) -> None:
    subcommands(app).add(Sub.STATS, stats)
