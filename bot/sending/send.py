"""A send, from a validated request to the platform and back into its channel message."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.domain.money import Estimate
from bot.domain.numbers import PhoneNumber
from bot.domain.send_request import SendRequest
from bot.domain.sms_text import analyse
from bot.domain.states import NumberStatus, SendKind, SendState
from bot.i18n import Msg, Problem
from bot.logs import log_context
from bot.santo.errors import SantoError, SantoRejected
from bot.santo.models import BatchOutcome
from bot.sending.file_send import drive
from bot.services import Services
from bot.store.db import now
from bot.store.file_sends import is_resumable
from bot.store.inbound import skip_opted_out
from bot.store.models import NewSend, SendView
from bot.store.reports import mark_dirty
from bot.store.sends import create_send, finish_send, record_batch, send_row, set_origin_link, set_retry_link
from bot.store.tables import OWN_ACCOUNT, Send
from bot.views.channel_message import build_channel_message

log = logging.getLogger(__name__)

_POST_ERRORS = ("not_in_channel", "channel_not_found", "is_archived", "restricted_action")
"""Slack's errors for which `send.cannot_post` has its own advice."""


class CannotPost(Problem):
    """The bot cannot post the send's message where it belongs; nothing was sent. `message` says
    so and what to do."""

    def __init__(self, channel_id: str, error: str) -> None:
        if error in _POST_ERRORS:
            advice = Msg.of(f"send.cannot_post.{error}")
        else:
            advice = Msg.of("send.cannot_post.other", error=error)
        super().__init__(Msg.of("send.cannot_post.text", channel=channel_id, advice=advice))


@dataclass(frozen=True)
class SendResult:
    send_id: int
    channel_id: str
    message_ts: str | None
    """None: the send has no channel message (a workflow step's, without a report channel)."""
    state: SendState


def new_send(request: SendRequest, channel_id: str, estimate: Estimate | None, account: str) -> NewSend:
    """What the store keeps of a request, for the channel it was posted in, sent with `account`."""
    return NewSend(
        team_id=request.team_id,
        user_id=request.user_id,
        channel_id=channel_id,
        kind=request.kind,
        text=request.text,
        sender_id=request.sender_id,
        lang=request.lang,
        encoding=request.text_info.encoding,
        parts=request.parts,
        estimated_cost=estimate.total if estimate else None,
        numbers=request.numbers,
        scheduled_at=datetime.fromtimestamp(request.scheduled_at, UTC) if request.scheduled_at else None,
        retry_of=request.retry_of,
        texts=request.texts,
        resumable=request.from_file is not None or request.texts is not None,
        ui_language=request.ui_language,
        thread_ts=request.thread_ts,
        account=account,
    )


def stored_request(send: Send, numbers: tuple[PhoneNumber, ...]) -> SendRequest:
    """A stored send as a request again, to `numbers` (the inverse of `new_send`, for what it keeps)."""
    return SendRequest(
        team_id=send.team_id,
        user_id=send.user_id,
        channel_id=send.channel_id,
        kind=SendKind(send.kind),
        text=send.text,
        numbers=numbers,
        sender_id=send.sender_id,
        lang=send.lang,
        ui_language=send.ui_language,
    )


def provisional_view(request: SendRequest, estimate: Estimate | None) -> SendView:
    """The channel message's first version, before anything is stored."""
    send = send_row(new_send(request, request.channel_id, estimate, OWN_ACCOUNT), None)  # not stored
    single = request.numbers[0].msisdn if len(request.numbers) == 1 else None
    return SendView(
        send=send, counts=Counter({NumberStatus.QUEUED: len(request.numbers)}), single_number=single
    )


async def execute(
    services: Services,
    request: SendRequest,
    estimate: Estimate | None = None,
    reserved: Callable[[], Awaitable[None]] | None = None,
) -> SendResult:
    """Post the channel message, store the send, then submit it (unless it is scheduled). A
    request without a channel (a workflow step's, with no report channel) has no message.

    Raises CannotPost before anything is stored or sent when the channel refuses the bot.
    `reserved` is called once the send is stored: from then on its numbers count against caps.
    """
    if estimate is None:
        estimate = await estimate_for(services, request)
    channel, ts = request.channel_id, None
    if channel:
        channel, ts = await post_channel_message(services, request, estimate)
    account = services.account_of(request.team_id)
    send_id = await create_send(services.db, new_send(request, channel, estimate, account), ts)
    if reserved is not None:
        await reserved()
    if request.retry_of is not None and ts is not None:
        await link_retry(services, request.retry_of, send_id, channel, ts)
    if request.scheduled_at is not None:
        await mark_dirty_now(services, send_id)
        return SendResult(send_id, channel, ts, SendState.SCHEDULED)
    state = await submit(services, send_id, request)
    return SendResult(send_id, channel, ts, state)


async def post_channel_message(
    services: Services, request: SendRequest, estimate: Estimate
) -> tuple[str, str]:
    """The send's message in its first version: (channel, ts). Raises CannotPost."""
    t = services.languages.texts(request.ui_language)
    fallback, blocks = build_channel_message(t, provisional_view(request, estimate))
    try:
        posted = await services.slack.chat_postMessage(
            channel=request.channel_id,
            text=fallback,
            blocks=blocks,
            unfurl_links=False,
            thread_ts=request.thread_ts,
        )
    except SlackApiError as exc:
        raise CannotPost(request.channel_id, str(exc.response.get("error", "unknown_error"))) from None
    return str(posted.get("channel") or request.channel_id), str(posted["ts"])


async def estimate_for(services: Services, request: SendRequest) -> Estimate:
    """The estimate: per number's own parts for a personalised send (an Estimate counting parts)."""
    if request.texts is None:
        return await services.prices.estimate(request.numbers, request.parts)
    base = await services.prices.estimate(request.numbers, 1)
    parts: Counter[str] = Counter()
    for number, text in zip(request.numbers, request.texts, strict=True):
        parts[number.region] += analyse(text).parts
    lines = [replace(line, count=parts[line.region]) for line in base.lines]
    return Estimate(parts=1, lines=lines)


async def submit(services: Services, send_id: int, request: SendRequest) -> SendState:
    """Call the platform for a stored send and record each batch's answer as it lands. Numbers
    that opted out since the send was stored are left out (not sent)."""
    with log_context(send_id=send_id, workspace=request.team_id):
        return await _submit(services, send_id, request)


async def _submit(services: Services, send_id: int, request: SendRequest) -> SendState:
    skipped = await skip_opted_out(services.db, send_id)
    if await is_resumable(services.db, send_id):  # a send from a file, or with per-number texts
        state = await drive(services, send_id)
        return state if state is not None else SendState.SENDING

    async def store(outcome: BatchOutcome) -> None:
        await record_batch(services.db, send_id, outcome)

    msisdns = [n.msisdn for n in request.numbers if n.msisdn not in skipped]
    detail = None if msisdns else Msg.of("send.all_opted_out")
    try:
        if msisdns and request.kind == SendKind.VOICE:
            await _send_voice(services, msisdns, request, store)
        elif msisdns:
            await services.santo.send_sms(msisdns, request.text, request.sender_id, on_batch=store)
    except SantoError as exc:  # refused before any submit (invalid request)
        detail = _not_sent(exc)
        await store(BatchOutcome(tuple(msisdns), error=exc))
    state = await finish_send(services.db, send_id, detail)
    services.wake_notifier()
    return state


def _not_sent(exc: SantoError) -> Msg:
    """Why a send was refused before any submit, for its channel message."""
    if isinstance(exc, SantoRejected):
        return Msg.of("send.detail.rejected", code=exc.code, meaning=exc.meaning)
    return Msg.of("send.detail.not_sent", reason=str(exc))


async def mark_dirty_now(services: Services, send_id: int) -> None:
    async with services.db.session.begin() as session:
        await mark_dirty(session, [send_id], now())
    services.wake_notifier()


async def link_retry(services: Services, original_id: int, send_id: int, channel: str, ts: str) -> None:
    """Link a retry and the send it retries, both ways: stored, and said in the first's thread."""
    link = await services.permalinks.get(services.slack, channel, ts)
    original = await set_retry_link(services.db, original_id, send_id)
    if original is None or not original.message_ts:
        return
    origin = await services.permalinks.get(services.slack, original.channel_id, original.message_ts)
    await set_origin_link(services.db, send_id, origin)
    t = services.languages.texts(original.ui_language)  # the first send's thread: its sender's language
    where = t("send.retry_link.link", link=link) if link else t("send.retry_link.new_message")
    try:
        await services.slack.chat_postMessage(
            channel=original.channel_id,
            thread_ts=original.message_ts,
            text=t("send.retry_link.text", where=where),
        )
    except SlackApiError as exc:
        log.warning(
            "could not link retry %d in the first send's thread: %s", send_id, exc.response.get("error")
        )
    await mark_dirty_now(services, original_id)


async def _send_voice(services: Services, msisdns: list[str], request: SendRequest, store: Any) -> None:
    async def one(number: str) -> None:
        try:
            result = await services.santo.send_voice(number, request.text, request.lang)
            outcome = BatchOutcome((number,), result=result)
        except SantoError as exc:
            outcome = BatchOutcome((number,), error=exc)
        await store(outcome)

    await asyncio.gather(*(one(n) for n in msisdns))
