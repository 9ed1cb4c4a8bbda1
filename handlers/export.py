"""Download CSV / XLSX on a send's message: its results as a file in its thread, for whoever
may see the send (its sender, admins, people who may send in its channel)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.domain.mrkdwn import escape
from bot.reports.export import Format, upload_results
from bot.sending.guard import may_see_send
from bot.store.audit import Action, record
from bot.store.sends import get_send
from bot.views.ids import ActionId
from handlers.common import Interaction, listener


async def download(interaction: Interaction) -> None:
    services, actor, t, value = interaction.services, interaction.actor, interaction.t, interaction.value
    send = await get_send(services.db, int(value)) if value.isdigit() else None
    if send is None or send.team_id != actor.team_id:
        await interaction.whisper(t("channel_message.unknown_send"))
        return
    if not await may_see_send(services, actor.user_id, send.user_id, send.channel_id):
        await interaction.whisper(t("export.not_allowed", channel=send.channel_id))
        return
    kind = Format.XLSX if interaction.action_id == ActionId.EXPORT_XLSX else Format.CSV
    await interaction.whisper(t("export.preparing"))
    try:
        await upload_results(services, send, kind, t("export.comment", user=actor.user_id))
    except SlackApiError as exc:
        await interaction.whisper(t("export.not_sent", error=escape(str(exc.response.get("error")))))
        return
    await record(
        services.db,
        team_id=actor.team_id,
        user_id=actor.user_id,
        action=Action.RESULTS_EXPORT,
        channel_id=send.channel_id,
        recipients=send.recipients,
        detail=kind.value,
        send_id=send.id,
    )


def register(app: AsyncApp) -> None:
    for action in (ActionId.EXPORT_CSV, ActionId.EXPORT_XLSX):
        app.action(action)(listener(download))
