"""`/sms` and its subcommands: ack at once, then work in the background."""

from __future__ import annotations

from collections.abc import Awaitable
from enum import StrEnum
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.i18n import Msg, Texts, texts_of
from bot.sending.guard import lookup_refusal
from bot.services import Services
from handlers import lookups
from handlers.audit import audit_text
from handlers.common import Actor, apologise
from handlers.help import help_text
from handlers.quick_send import InputProblem, parse_quick_send, parse_quick_voice, quick_send
from handlers.send_modal import open_send_modal

COMMAND = "/sms"


class Sub(StrEnum):
    SEND = "send"
    VOICE = "voice"
    BALANCE = "balance"
    PRICE = "price"
    VERIFY = "verify"
    STATUS = "status"
    HELP = "help"
    AUDIT = "audit"


def split(text: str) -> tuple[str, str]:
    """`send 86139… hi` → (`send`, `86139… hi`)."""
    word, _, rest = text.strip().partition(" ")
    return word.lower(), rest.strip()


async def handle_sms(
    ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    services, t = Services.of(context), texts_of(context)
    services.background.spawn(route(services, t, command, respond), on_error=apologise(t, respond))


async def route(services: Services, t: Texts, command: dict[str, Any], respond: AsyncRespond) -> None:
    actor = Actor.from_command(command)
    word, rest = split(str(command.get("text", "")))

    async def say(text: str | Awaitable[str]) -> None:
        answer = text if isinstance(text, str) else await text
        await respond(text=answer, response_type="ephemeral")

    if word != Sub.HELP:
        refusal = await lookup_refusal(services, actor.user_id)
        if refusal:
            await say(t.render(refusal))
            return
    try:
        match word:
            case "" | Sub.SEND if not rest:
                if not actor.trigger_id:
                    raise InputProblem(Msg.of("help.no_trigger"))
                await open_send_modal(t, services, actor.trigger_id, actor.channel_id)
            case Sub.SEND:
                request, duplicates = parse_quick_send(actor, rest, t.language)
                await quick_send(services, t, actor, request, duplicates, respond)
            case Sub.VOICE:
                await quick_send(services, t, actor, parse_quick_voice(actor, rest, t.language), 0, respond)
            case Sub.BALANCE:
                await say(lookups.balance_text(services, t))
            case Sub.PRICE:
                await say(lookups.price_text(services, t, rest))
            case Sub.VERIFY:
                await say(lookups.verify_text(services, t, rest))
            case Sub.STATUS:
                await say(lookups.status_text(services, t, rest))
            case Sub.AUDIT:
                await say(audit_text(services, t, actor, rest))
            case Sub.HELP:
                await say(help_text(t))
            case _:
                await say(help_text(t, unknown=word))
    except InputProblem as exc:
        await say(t.render(exc.message))


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(handle_sms)
