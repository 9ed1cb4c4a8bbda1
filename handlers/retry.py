"""Retry failed: the confirmation for exactly the failed numbers of a send, sent as a new send."""

from __future__ import annotations

import uuid
from dataclasses import replace

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.domain.mrkdwn import SECTION_LIMIT, cut
from bot.domain.numbers import NumberError, parse_number
from bot.i18n import Texts
from bot.sending.review import review
from bot.sending.send import stored_request
from bot.services import Services
from bot.store.db import now
from bot.store.drafts import consume_draft
from bot.store.file_sends import own_texts
from bot.store.sends import claim_retry, failed_numbers, get_send, release_retry
from bot.views.failures import failure_line
from bot.views.ids import ActionId, CallbackId
from bot.views.send_modal import build_notice_view
from handlers.common import Interaction, confirm_in_view, listener

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


async def retry(interaction: Interaction) -> None:
    """The first click claims the send; the confirmation opens in a modal, checking at first."""
    services, actor, t, value = interaction.services, interaction.actor, interaction.t, interaction.value
    send = await claim_retry(services.db, int(value), actor.user_id, now()) if value.isdigit() else None
    if send is None:
        await interaction.whisper(await why_not(services, t, value))
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
    request = replace(
        stored_request(send, tuple(numbers)),
        user_id=actor.user_id,
        retry_of=send.id,
        texts=await own_texts(services.db, send.id, [n.msisdn for n in numbers]),
        ui_language=t.language.value,
    )
    blocks, _estimate = await review(services, t, request)
    blocks = [*build_failure_list(t, failures), *blocks]
    await confirm_in_view(interaction, request, blocks, draft_id, external_id)


async def why_not(services: Services, t: Texts, value: str) -> str:
    send = await get_send(services.db, int(value)) if value.isdigit() else None
    if send is None:
        return t("channel_message.unknown_send")
    if send.retry_send_id is not None:
        return t("retry.already_retried")
    return t("retry.being_prepared", user=send.retry_claimed_by)


async def closed(interaction: Interaction) -> None:
    """A retry's confirmation was closed: its draft can no longer send, and others may retry."""
    services, user_id = interaction.services, interaction.actor.user_id
    draft_id = str((interaction.body.get("view") or {}).get("private_metadata") or "")
    payload = await consume_draft(services.db, draft_id, user_id)
    if payload is not None and payload.get("retry_of") is not None:
        await release_retry(services.db, int(payload["retry_of"]), user_id)


def register(app: AsyncApp) -> None:
    app.action(ActionId.RETRY_FAILED)(listener(retry))
    app.view_closed(CallbackId.CONFIRM)(listener(closed, on_error=None))
