"""`/sms send <numbers> <text>` and `/sms voice <number> [lang] <text>`, and their confirmation."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block

from bot.dispatch import dispatch
from bot.i18n import TEXTS, Language
from bot.mrkdwn import code, escape
from bot.numbers import NumberError, parse_number, parse_numbers
from bot.pricing import Estimate
from bot.santo.codes import VOICE_LANGUAGES
from bot.santo.errors import SantoError
from bot.sending import SendRequest
from bot.services import Services
from bot.store.drafts import consume_draft, save_draft
from bot.store.tables import SendKind
from bot.text import SenderIdError, validate_sender_id
from handlers.blocks.confirm import build_confirmation_blocks, build_confirmation_message
from handlers.common import Actor, Press, apologise
from handlers.ids import ActionId

_LANG = re.compile(r"^[A-Za-z]{2}[-_][A-Za-z]{2}$")


class InputProblem(ValueError):
    """What the user typed cannot be sent; the message says why and how to fix it."""


def parse_quick_send(actor: Actor, args: str) -> tuple[SendRequest, int]:
    """`<numbers> <text>` → a request (and how many duplicates were dropped)."""
    token, _, text = args.strip().partition(" ")
    text = text.strip()
    if not token or not text:
        raise InputProblem(
            "Write the numbers, then the message: `/sms send +8613910825657,+601129855877 Hello`"
        )
    parsed = parse_numbers(token)
    if parsed.invalid:
        bad = "\n".join(f"• {code(e.raw[:40])} — {escape(e.reason)}" for e in parsed.invalid[:10])
        raise InputProblem(
            f"Nothing was sent: these are not numbers I can send to:\n{bad}\n"
            "Write numbers in international form, separated by commas without spaces."
        )
    return _request(actor, SendKind.SMS, text, tuple(parsed.numbers)), parsed.duplicates


def parse_quick_voice(actor: Actor, args: str) -> SendRequest:
    """`<number> [lang] <text>` → a voice request."""
    token, _, rest = args.strip().partition(" ")
    first, _, after = rest.strip().partition(" ")
    if not token or not first:
        raise InputProblem("Write the number, then the text: `/sms voice +8613910825657 en-us Hello`")
    try:
        number = parse_number(token)
    except NumberError as exc:
        raise InputProblem(f"{code(token[:40])} is not a number I can call: {exc.reason}.") from None
    lang, text = None, rest.strip()
    if _LANG.match(first):
        lang, text = first.lower().replace("_", "-"), after.strip()
        if lang not in VOICE_LANGUAGES:
            choices = ", ".join(f"{c} ({TEXTS[Language.EN](f'codes.voice.{c}')})" for c in VOICE_LANGUAGES)
            raise InputProblem(f"Unknown voice language {code(first)}. Use one of: {choices}.")
    if not text:
        raise InputProblem("Add the text to speak after the number (and language).")
    return _request(actor, SendKind.VOICE, text, (number,), lang=lang or "zh-cn")


def _request(
    actor: Actor, kind: SendKind, text: str, numbers: tuple[Any, ...], lang: str | None = None
) -> SendRequest:
    if actor.channel_id is None:
        raise InputProblem("Run this in a channel: the send's message goes there.")
    return SendRequest(
        team_id=actor.team_id,
        user_id=actor.user_id,
        channel_id=actor.channel_id,
        kind=kind,
        text=text,
        numbers=numbers,
        lang=lang,
    )


def check_sender(sender: str | None, kind: SendKind) -> str | None:
    """A validated sender id, or None; raises InputProblem for a bad one or one on a voice call."""
    if not sender or not sender.strip():
        return None
    if kind == SendKind.VOICE:
        raise InputProblem("Voice calls can't have a sender id.")
    try:
        return validate_sender_id(sender)
    except SenderIdError as exc:
        raise InputProblem(str(exc).capitalize() + ".") from None


async def review(
    services: Services, request: SendRequest, duplicates: int = 0
) -> tuple[list[Block], Estimate]:
    """The confirmation's content: prices (cached) and the balance, asked together."""

    async def balance() -> Decimal | None:
        try:
            return (await services.santo.balance()).amount
        except SantoError:
            return None

    estimate, amount = await asyncio.gather(
        services.prices.estimate(request.numbers, request.parts), balance()
    )
    return build_confirmation_blocks(request, estimate, amount, duplicates), estimate


def needs_confirmation(services: Services, request: SendRequest, estimate: Estimate) -> bool:
    settings = services.settings
    if len(request.numbers) > settings.sms_confirm_above_recipients:
        return True
    total = estimate.total
    return total is None or total > Decimal(str(settings.sms_confirm_above_cost))


async def quick_send(
    services: Services, actor: Actor, request: SendRequest, duplicates: int, respond: AsyncRespond
) -> None:
    """Send at once when small and cheap; otherwise show the confirmation first."""
    if len(request.numbers) > services.settings.sms_confirm_above_recipients:
        estimate = None
    else:
        estimate = await services.prices.estimate(request.numbers, request.parts)
    if estimate is None or needs_confirmation(services, request, estimate):
        blocks, _ = await review(services, request, duplicates)
        draft_id = await save_draft(services.db, actor.team_id, actor.user_id, request.to_payload())
        await respond(
            text="Review this send, then press Send.",
            blocks=build_confirmation_message(draft_id, blocks),
            response_type="ephemeral",
        )
        return
    await send_and_tell(services, request, estimate, respond)


async def send_and_tell(
    services: Services, request: SendRequest, estimate: Estimate | None, respond: AsyncRespond
) -> None:
    async def tell(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    await dispatch(services, request, tell, estimate)


async def on_confirm(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    press = Press.of(body, context, respond)
    services, actor, draft_id = press.services, press.actor, press.value

    async def work() -> None:
        payload = await consume_draft(services.db, draft_id, actor.user_id)
        if payload is None:
            await respond(text="This send was already sent or cancelled.", replace_original=True)
            return
        request = SendRequest.from_payload(payload)
        await respond(text=f"Sending to {len(request.numbers):,} number(s)…", replace_original=True)
        await send_and_tell(services, request, None, respond)

    services.background.spawn(work(), on_error=apologise(TEXTS[Language.EN], respond))


async def on_cancel(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    press = Press.of(body, context, respond)
    services, actor, draft_id = press.services, press.actor, press.value
    payload = await consume_draft(services.db, draft_id, actor.user_id)
    text = "Cancelled. Nothing was sent." if payload else "This send was already sent or cancelled."
    await respond(text=text, replace_original=True)


def register(app: AsyncApp) -> None:
    app.action(ActionId.CONFIRM_SEND)(on_confirm)
    app.action(ActionId.CANCEL_SEND)(on_cancel)
