"""Cancel on a scheduled send's message: its sender or an admin, before it goes."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.sending.guard import is_admin
from bot.store.audit import Action, record
from bot.store.db import now
from bot.store.schedule import cancel
from bot.store.tables import Send
from bot.views.ids import ActionId
from handlers.common import Press, apologise


async def on_cancel(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    press = Press.of(body, context, respond)
    services, actor, t, value, whisper = press.services, press.actor, press.t, press.value, press.whisper

    async def work() -> None:
        send = None
        if value.isdigit():
            async with services.db.session() as session:
                send = await session.get(Send, int(value))
        if send is None:
            await whisper(t("channel_message.unknown_send"))
            return
        if actor.user_id != send.user_id and not is_admin(services, actor.user_id):
            await whisper(t("scheduled.not_yours", user=send.user_id))
            return
        if not await cancel(services.db, send.id, actor.user_id, now()):
            await whisper(t("scheduled.too_late"))
            return
        services.wake_notifier()
        await record(
            services.db,
            team_id=send.team_id,
            user_id=actor.user_id,
            action=Action.CANCELLED,
            channel_id=send.channel_id,
            recipients=send.recipients,
            estimated_cost=send.estimated_cost,
            send_id=send.id,
        )

    services.background.spawn(work(), on_error=apologise(t, respond))


def register(app: AsyncApp) -> None:
    app.action(ActionId.CANCEL_SCHEDULED)(on_cancel)
