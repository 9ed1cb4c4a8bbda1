"""Retry failed: the confirmation for exactly the failed numbers of a send, sent as a new send."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.domain.mrkdwn import SECTION_LIMIT, cut
from bot.domain.numbers import NumberError, parse_number
from bot.domain.send_request import SendRequest
from bot.domain.states import SendKind
from bot.i18n import Texts
from bot.services import Services
from bot.store.db import now
from bot.store.drafts import save_draft
from bot.store.file_sends import own_texts
from bot.store.sends import claim_retry, failed_numbers
from bot.store.tables import Send
from bot.views.confirm import build_confirmation_view
from bot.views.failures import failure_line
from bot.views.ids import ActionId
from bot.views.send_modal import build_notice_view
from handlers.common import Press, apologise
from handlers.quick_send import review
from handlers.send_modal import update_view

CONTENT_CODES = {"402", "403"}
"""Failures about the text itself: the same text will likely fail again."""


def build_failure_list(t: Texts, failures: list[tuple[str, str | None]]) -> list[Block]:
    lines = [t("retry.heading")]
    for number, code in failures:
        flag = " :warning:" if code in CONTENT_CODES else ""
        lines.append(failure_line(t, number, code) + flag)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=cut("\n".join(lines), SECTION_LIMIT)))]
    if any(code in CONTENT_CODES for _, code in failures):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=t("retry.content_codes"))))
    return blocks


async def on_retry(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    press = Press.of(body, context, respond)
    services, actor, t, value, whisper = press.services, press.actor, press.t, press.value, press.whisper

    async def work() -> None:
        send = await claim_retry(services.db, int(value), actor.user_id, now()) if value.isdigit() else None
        if send is None:
            await whisper(await why_not(services, t, value))
            return
        draft_id = uuid.uuid4().hex
        external_id = f"confirm-{draft_id}"
        if actor.trigger_id:
            waiting = build_notice_view(t, t("retry.title"), t("send.notice.checking"), external_id)
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
            ui_language=t.language.value,
        )
        blocks, _estimate = await review(services, t, request)
        await save_draft(services.db, actor.team_id, actor.user_id, request.to_payload(), draft_id)
        view = build_confirmation_view(t, draft_id, [*build_failure_list(t, failures), *blocks], external_id)
        await update_view(services, external_id, view)

    services.background.spawn(work(), on_error=apologise(t, respond))


async def why_not(services: Services, t: Texts, value: str) -> str:
    send = None
    if value.isdigit():
        async with services.db.session() as session:
            send = await session.get(Send, int(value))
    if send is None:
        return t("channel_message.unknown_send")
    if send.retry_send_id is not None:
        return t("retry.already_retried")
    return t("retry.being_prepared", user=send.retry_claimed_by)


def register(app: AsyncApp) -> None:
    app.action(ActionId.RETRY_FAILED)(on_retry)
