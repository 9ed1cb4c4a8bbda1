"""Cancel on a scheduled send's message: its sender or an admin, before it goes."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.sending.guard import is_admin
from bot.store.audit import Action, record_decision
from bot.store.db import now
from bot.store.schedule import cancel
from bot.store.sends import get_send
from bot.views.ids import ActionId
from handlers.common import Interaction, listener


async def cancel_scheduled(interaction: Interaction) -> None:
    services, actor, t, value = interaction.services, interaction.actor, interaction.t, interaction.value
    send = await get_send(services.db, int(value)) if value.isdigit() else None
    if send is None:
        await interaction.whisper(t("channel_message.unknown_send"))
        return
    if actor.user_id != send.user_id and not is_admin(services, actor.user_id):
        await interaction.whisper(t("scheduled.not_yours", user=send.user_id))
        return
    if not await cancel(services.db, send.id, actor.user_id, now()):
        await interaction.whisper(t("scheduled.too_late"))
        return
    services.wake_notifier()
    await record_decision(services.db, send, Action.CANCELLED, actor.user_id)


def register(app: AsyncApp) -> None:
    app.action(ActionId.CANCEL_SCHEDULED)(listener(cancel_scheduled))
