"""`/sms send <numbers> <text>` and `/sms voice <number> [lang] <text>`, and their confirmation."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.domain.money import money
from bot.domain.send_request import SendRequest
from bot.sending.dispatch import dispatch
from bot.sending.parse import parse_quick_send, parse_quick_voice
from bot.sending.review import balance_short, needs_confirmation, review
from bot.store.drafts import consume_draft, save_draft
from bot.views.confirm import build_confirmation_message
from bot.views.ids import ActionId
from handlers.common import Interaction, Sub, listener, open_send_modal, subcommands


async def send(interaction: Interaction, rest: str) -> None:
    """`/sms send` alone opens the Send modal."""
    if not rest:
        await open_send_modal(interaction, interaction.actor.channel_id)
        return
    region = await interaction.number_region()
    request, duplicates = parse_quick_send(interaction.actor, rest, interaction.t.language, region)
    await quick_send(interaction, request, duplicates)


async def voice(interaction: Interaction, rest: str) -> None:
    """A voice call; one whose language the text chose says so first, and how to choose."""
    t = interaction.t
    region = await interaction.number_region()
    request = parse_quick_voice(interaction.actor, rest, t.language, region)
    if request.lang_from_text and request.lang:
        await interaction.whisper(
            t("quick.voice_from_text", lang=request.lang, name=t(f"codes.voice.{request.lang}"))
        )
    await quick_send(interaction, request, 0)


async def quick_send(interaction: Interaction, request: SendRequest, duplicates: int) -> None:
    """Send at once when small and cheap; otherwise show the confirmation first."""
    services, actor, t = interaction.services, interaction.actor, interaction.t
    if len(request.numbers) > services.settings.sms_confirm_above_recipients:
        estimate = None
    else:
        estimate = await services.prices.estimate(request.numbers, request.parts)
    if estimate is None or needs_confirmation(services, request, estimate):
        blocks, _ = await review(services, t, request, duplicates)
        draft_id = await save_draft(services.db, actor.team_id, actor.user_id, request.to_payload())
        await interaction.reply(
            text=t("quick.confirm.review"),
            blocks=build_confirmation_message(t, draft_id, blocks),
            response_type="ephemeral",
        )
        return
    if (short := await balance_short(services, estimate)) is not None:
        cost, balance = short
        await interaction.whisper(t("quick.over_balance", cost=money(cost), balance=money(balance)))
        return
    await dispatch(services, request, interaction.whisper, estimate)


async def confirm(interaction: Interaction) -> None:
    """Send, on the confirmation: its draft is taken once, so a second click sends nothing."""
    services, t = interaction.services, interaction.t
    payload = await consume_draft(services.db, interaction.value, interaction.actor.user_id)
    if payload is None:
        await interaction.replace(t("quick.confirm.gone"))
        return
    request = SendRequest.from_payload(payload)
    await interaction.replace(t.count("quick.confirm.sending", len(request.numbers)))
    await dispatch(services, request, interaction.whisper)


async def cancel(interaction: Interaction) -> None:
    payload = await consume_draft(interaction.services.db, interaction.value, interaction.actor.user_id)
    await interaction.replace(interaction.t("quick.confirm.cancelled" if payload else "quick.confirm.gone"))


def register(app: AsyncApp) -> None:
    commands = subcommands(app)
    commands.add(Sub.SEND, send)
    commands.add(Sub.VOICE, voice)
    app.action(ActionId.CONFIRM_SEND)(listener(confirm))
    app.action(ActionId.CANCEL_SEND)(listener(cancel))
