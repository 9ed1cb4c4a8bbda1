"""Retry failed: the confirmation for exactly the failed numbers of a send, sent as a new send."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.campaign_send import own_texts
from bot.i18n import TEXTS, Language
from bot.mrkdwn import SECTION_LIMIT, cut
from bot.numbers import NumberError, display_msisdn, parse_number
from bot.santo.codes import report_meaning
from bot.sending import SendRequest
from bot.services import Services
from bot.store.db import now
from bot.store.drafts import save_draft
from bot.store.sends import claim_retry, failed_numbers
from bot.store.tables import Send, SendKind
from handlers.blocks.confirm import build_confirmation_view
from handlers.blocks.send_modal import build_notice_view
from handlers.common import Press, apologise
from handlers.ids import ActionId
from handlers.quick_send import review
from handlers.send_modal import update_view

CONTENT_CODES = {"402", "403"}
"""Failures about the text itself: the same text will likely fail again."""


def build_failure_list(failures: list[tuple[str, str | None]]) -> list[Block]:
    lines = []
    for number, code in failures:
        reason = report_meaning("400", code) if code else "failed"
        flag = " :warning:" if code in CONTENT_CODES else ""
        lines.append(f"{display_msisdn(number)} — {reason}{f' ({code})' if code else ''}{flag}")
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=cut("*Failed numbers*\n" + "\n".join(lines), SECTION_LIMIT))
        )
    ]
    if any(code in CONTENT_CODES for _, code in failures):
        note = ":warning: Some failed because of the text itself (402/403): the same text may fail again."
        blocks.append(SectionBlock(text=MarkdownTextObject(text=note)))
    return blocks


async def on_retry(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    press = Press.of(body, context, respond)
    services, actor, value, whisper = press.services, press.actor, press.value, press.whisper

    async def work() -> None:
        send = await claim_retry(services.db, int(value), actor.user_id, now()) if value.isdigit() else None
        if send is None:
            await whisper(await why_not(services, value))
            return
        draft_id = uuid.uuid4().hex
        external_id = f"confirm-{draft_id}"
        if actor.trigger_id:
            waiting = build_notice_view("Retry failed", "Checking prices and balance…", external_id)
            await services.slack.views_open(trigger_id=actor.trigger_id, view=waiting)
        failures = await failed_numbers(services.db, send.id)
        numbers = []
        for number, _code in failures:
            try:
                numbers.append(parse_number("+" + number))
            except NumberError:
                continue
        request = SendRequest(
            team_id=send.team_id,
            user_id=actor.user_id,
            channel_id=send.channel_id,
            kind=SendKind(send.kind),
            text=send.text,
            numbers=tuple(numbers),
            sender_id=send.sender_id,
            lang=send.lang,
            retry_of=send.id,
            texts=await own_texts(services.db, send.id, [n.msisdn for n in numbers]),
        )
        blocks, _estimate = await review(services, request)
        await save_draft(services.db, actor.team_id, actor.user_id, request.to_payload(), draft_id)
        view = build_confirmation_view(draft_id, [*build_failure_list(failures), *blocks], external_id)
        await update_view(services, external_id, view)

    services.background.spawn(work(), on_error=apologise(TEXTS[Language.EN], respond))


async def why_not(services: Services, value: str) -> str:
    send = None
    if value.isdigit():
        async with services.db.session() as session:
            send = await session.get(Send, int(value))
    if send is None:
        return "I don't know this send."
    if send.retry_send_id is not None:
        return "The failed numbers of this send were already retried."
    return f"<@{send.retry_claimed_by}> is already preparing a retry of this send."


def register(app: AsyncApp) -> None:
    app.action(ActionId.RETRY_FAILED)(on_retry)
