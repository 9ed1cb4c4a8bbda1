"""`/sms send <numbers> <text>` and `/sms voice <number> [lang] <text>`, and their confirmation."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block

from bot.domain.money import Estimate
from bot.domain.mrkdwn import code, escape
from bot.domain.numbers import NumberError, in_every_language, parse_number, parse_numbers
from bot.domain.send_request import SendRequest
from bot.domain.sms_text import SenderIdError, validate_sender_id
from bot.domain.states import SendKind
from bot.i18n import TEXTS, Language, Msg, Texts
from bot.santo.codes import VOICE_LANGUAGES
from bot.santo.errors import SantoError
from bot.sending.dispatch import dispatch
from bot.services import Services
from bot.store.drafts import consume_draft, save_draft
from bot.views.confirm import build_confirmation_blocks, build_confirmation_message
from bot.views.ids import ActionId
from handlers.common import Actor, Press, apologise

_LANG = re.compile(r"^[A-Za-z]{2}[-_][A-Za-z]{2}$")
MAX_INVALID_SHOWN = 10


class InputProblem(ValueError):
    """What the user typed cannot be sent; `message` says why and how to fix it (`str()` of it is
    English, for logs)."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _problem(name: str, /, **values: object) -> InputProblem:
    return InputProblem(Msg.of(f"quick.problem.{name}", **values))


def _invalid_lines(invalid: list[NumberError]) -> dict[str, str]:
    """`• `abc` — not a phone number` lines, in every language."""

    def lines(language: Language) -> str:
        t = TEXTS[language]
        return "\n".join(f"• {code(e.raw[:40])} — {escape(t.render(e.reason))}" for e in invalid)

    return in_every_language(lines)


def _voice_languages() -> dict[str, str]:
    """`zh-cn (Chinese), en-us (English), …` in every language."""

    def listed(language: Language) -> str:
        t = TEXTS[language]
        choices = (t("quick.voice_language", code=c, name=t(f"codes.voice.{c}")) for c in VOICE_LANGUAGES)
        return t("numbers.list_separator").join(choices)

    return in_every_language(listed)


def parse_quick_send(actor: Actor, args: str, language: Language) -> tuple[SendRequest, int]:
    """`<numbers> <text>` → a request (and how many duplicates were dropped); `language` is the
    sender's, for the send's messages."""
    token, _, text = args.strip().partition(" ")
    text = text.strip()
    if not token or not text:
        raise _problem("send_usage")
    parsed = parse_numbers(token)
    if parsed.invalid:
        raise _problem("not_numbers", bad=_invalid_lines(parsed.invalid[:MAX_INVALID_SHOWN]))
    request = _request(actor, language, SendKind.SMS, text, tuple(parsed.numbers))
    return request, parsed.duplicates


def parse_quick_voice(actor: Actor, args: str, language: Language) -> SendRequest:
    """`<number> [lang] <text>` → a voice request."""
    token, _, rest = args.strip().partition(" ")
    first, _, after = rest.strip().partition(" ")
    if not token or not first:
        raise _problem("voice_usage")
    try:
        number = parse_number(token)
    except NumberError as exc:
        raise _problem("cannot_call", number=code(token[:40]), reason=exc.reason) from None
    lang, text = None, rest.strip()
    if _LANG.match(first):
        lang, text = first.lower().replace("_", "-"), after.strip()
        if lang not in VOICE_LANGUAGES:
            raise _problem("unknown_voice_language", lang=code(first), choices=_voice_languages())
    if not text:
        raise _problem("no_voice_text")
    return _request(actor, language, SendKind.VOICE, text, (number,), lang=lang or "zh-cn")


def _request(
    actor: Actor,
    language: Language,
    kind: SendKind,
    text: str,
    numbers: tuple[Any, ...],
    lang: str | None = None,
) -> SendRequest:
    if actor.channel_id is None:
        raise _problem("no_channel")
    return SendRequest(
        team_id=actor.team_id,
        user_id=actor.user_id,
        channel_id=actor.channel_id,
        kind=kind,
        text=text,
        numbers=numbers,
        lang=lang,
        ui_language=language.value,
    )


def check_sender(sender: str | None, kind: SendKind) -> str | None:
    """A validated sender id, or None; raises InputProblem for a bad one or one on a voice call."""
    if not sender or not sender.strip():
        return None
    if kind == SendKind.VOICE:
        raise _problem("voice_sender_id")
    try:
        return validate_sender_id(sender)
    except SenderIdError as exc:
        raise _problem("sender_id", reason=exc.reason) from None


async def review(
    services: Services, t: Texts, request: SendRequest, duplicates: int = 0
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
    return build_confirmation_blocks(t, request, estimate, amount, duplicates), estimate


def needs_confirmation(services: Services, request: SendRequest, estimate: Estimate) -> bool:
    settings = services.settings
    if len(request.numbers) > settings.sms_confirm_above_recipients:
        return True
    total = estimate.total
    return total is None or total > Decimal(str(settings.sms_confirm_above_cost))


async def quick_send(
    services: Services, t: Texts, actor: Actor, request: SendRequest, duplicates: int, respond: AsyncRespond
) -> None:
    """Send at once when small and cheap; otherwise show the confirmation first."""
    if len(request.numbers) > services.settings.sms_confirm_above_recipients:
        estimate = None
    else:
        estimate = await services.prices.estimate(request.numbers, request.parts)
    if estimate is None or needs_confirmation(services, request, estimate):
        blocks, _ = await review(services, t, request, duplicates)
        draft_id = await save_draft(services.db, actor.team_id, actor.user_id, request.to_payload())
        await respond(
            text=t("quick.confirm.review"),
            blocks=build_confirmation_message(t, draft_id, blocks),
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
    services, actor, draft_id, t = press.services, press.actor, press.value, press.t

    async def work() -> None:
        payload = await consume_draft(services.db, draft_id, actor.user_id)
        if payload is None:
            await respond(text=t("quick.confirm.gone"), replace_original=True)
            return
        request = SendRequest.from_payload(payload)
        await respond(text=t.count("quick.confirm.sending", len(request.numbers)), replace_original=True)
        await send_and_tell(services, request, None, respond)

    services.background.spawn(work(), on_error=apologise(t, respond))


async def on_cancel(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    press = Press.of(body, context, respond)
    payload = await consume_draft(press.services.db, press.value, press.actor.user_id)
    await respond(
        text=press.t("quick.confirm.cancelled" if payload else "quick.confirm.gone"), replace_original=True
    )


def register(app: AsyncApp) -> None:
    app.action(ActionId.CONFIRM_SEND)(on_confirm)
    app.action(ActionId.CANCEL_SEND)(on_cancel)
