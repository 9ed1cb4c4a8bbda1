"""Reply, under an inbound SMS: a small modal, then a normal send to that one number (the same
checks, caps, approvals and audit as any send) whose message shows in the same thread."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.domain.money import money
from bot.domain.numbers import NumberError, parse_number
from bot.domain.send_request import SendRequest
from bot.domain.states import SendKind
from bot.santo.errors import SantoError
from bot.store.inbound import inbound_message
from bot.views.ids import ActionId, BlockId, CallbackId
from bot.views.replies import build_reply_modal
from bot.views.send_modal import build_notice_view
from handlers.common import Interaction, listener, send_and_tell_in_view

PRICE_WAIT = 1.0
"""Seconds the modal waits for a price (Slack's trigger lasts 3): without one it opens anyway."""


async def open_reply(interaction: Interaction) -> None:
    services, t = interaction.services, interaction.t
    value = interaction.value
    item = await inbound_message(services.db, int(value)) if value.isdigit() else None
    if item is None or not item.phone:
        await interaction.whisper(t("replies.modal.unknown"))
        return
    number = parse_number("+" + item.phone)
    message = interaction.body.get("message") or {}
    container = interaction.body.get("container") or {}
    where = {
        "phone": item.phone,
        "channel": container.get("channel_id") or interaction.actor.channel_id,
        "thread": message.get("thread_ts")
        or container.get("thread_ts")
        or message.get("ts")
        or container.get("message_ts"),
    }
    try:
        price = await asyncio.wait_for(services.prices.price(number.region), PRICE_WAIT)
        shown = money(price.price)
    except (SantoError, TimeoutError):
        shown = None
    view = build_reply_modal(t, number.display, shown, json.dumps(where))
    await services.slack.views_open(trigger_id=interaction.actor.trigger_id, view=view)


async def on_reply(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    interaction = Interaction.of(body, context)
    t, actor = interaction.t, interaction.actor
    values = (view.get("state") or {}).get("values") or {}
    text = str(((values.get(BlockId.REPLY_TEXT) or {}).get(ActionId.REPLY_TEXT) or {}).get("value") or "")
    if not text.strip():
        await ack(response_action="errors", errors={BlockId.REPLY_TEXT: t("replies.modal.empty")})
        return
    try:
        where = json.loads(str(view.get("private_metadata") or "{}"))
        number = parse_number("+" + str(where["phone"]))
    except (ValueError, KeyError, TypeError, NumberError):
        await ack(response_action="errors", errors={BlockId.REPLY_TEXT: t("replies.modal.unknown")})
        return
    external_id = f"reply-{uuid.uuid4().hex}"
    sending = build_notice_view(t, t("send.notice.sending_title"), t("send.notice.sending"), external_id)
    await ack(response_action="update", view=sending)
    request = SendRequest(
        team_id=actor.team_id,
        user_id=actor.user_id,
        channel_id=str(where.get("channel") or actor.channel_id or ""),
        kind=SendKind.SMS,
        text=text,
        numbers=(number,),
        thread_ts=where.get("thread"),
        ui_language=t.language.value,
    )
    send_and_tell_in_view(interaction, request, external_id)


def register(app: AsyncApp) -> None:
    app.action(ActionId.REPLY)(listener(open_reply))
    app.view(CallbackId.REPLY)(on_reply)
