"""The "Send as SMS" message shortcut: the Send modal, prefilled with the message's text."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import ContextBlock, InputBlock, MarkdownTextObject
from slack_sdk.models.views import View

from bot.domain.plain_text import to_plain_text, user_ids
from bot.i18n import Texts
from bot.sending.guard import lookup_refusal
from bot.services import Services
from bot.views.ids import BlockId, CallbackId
from bot.views.send_modal import build_notice_view, build_send_modal
from handlers.common import Interaction, listener

MESSAGE_LIMIT = 3000
"""The Send modal's message field holds this many characters."""
NAMES_BUDGET = 1.0
"""Seconds to spend asking Slack for mentioned people's names (the trigger lasts 3 s)."""


def report_channel(body: dict[str, Any]) -> str | None:
    """The message's channel, where the send reports; None (the user picks) for direct messages,
    where the bot cannot post."""
    channel = body.get("channel") or {}
    channel_id = str(channel.get("id") or "")
    name = str(channel.get("name") or "")
    if not channel_id or channel_id.startswith("D") or name == "directmessage" or name.startswith("mpdm-"):
        return None
    return channel_id


def fit_message(t: Texts, text: str) -> tuple[str, str | None]:
    """The text as it fits the form, and a note when it had to be cut (or was empty)."""
    text = text.strip()
    if not text:
        return "", t("shortcuts.empty")
    if len(text) <= MESSAGE_LIMIT:
        return text, None
    note = t("shortcuts.cut", n=len(text), limit=MESSAGE_LIMIT)
    return text[:MESSAGE_LIMIT].rstrip(), note


def build_send_as_sms_modal(t: Texts, channel_id: str | None, text: str, max_file_rows: int) -> View:
    """The Send modal, prefilled with `text` (plain text), with a note when it was cut."""
    message, note = fit_message(t, text)
    view = build_send_modal(t, channel_id, max_file_rows=max_file_rows, message=message)
    if note and view.blocks is not None:
        blocks = list(view.blocks)
        after = next(
            (
                i + 1
                for i, b in enumerate(blocks)
                if isinstance(b, InputBlock) and b.block_id == BlockId.MESSAGE
            ),
            len(blocks),
        )
        blocks.insert(after, ContextBlock(elements=[MarkdownTextObject(text=note)]))
        view.blocks = blocks
    return view


async def message_as_text(services: Services, message: dict[str, Any]) -> str:
    """The message's mrkdwn as plain text, mentions as names."""
    raw = message.get("text")
    text = raw if isinstance(raw, str) else ""
    names = await services.user_names.lookup(services.slack, user_ids(text), timeout=NAMES_BUDGET)
    return to_plain_text(text, names)


async def send_as_sms(interaction: Interaction) -> None:
    services, t, trigger_id = interaction.services, interaction.t, interaction.actor.trigger_id
    if not trigger_id:
        return
    refusal = await lookup_refusal(services, interaction.actor.user_id)
    if refusal:
        view = build_notice_view(t, t("shortcuts.title"), t.render(refusal))
    else:
        text = await message_as_text(services, interaction.body.get("message") or {})
        rows = services.settings.sms_max_file_rows
        view = build_send_as_sms_modal(t, report_channel(interaction.body), text, rows)
    await services.slack.views_open(trigger_id=trigger_id, view=view)


def register(app: AsyncApp) -> None:
    app.message_shortcut(CallbackId.SEND_AS_SMS)(listener(send_as_sms))
