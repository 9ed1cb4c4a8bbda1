"""A send, from a validated request to the platform and back into its home message."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.numbers import PhoneNumber
from bot.pricing import Estimate
from bot.santo.errors import SantoError
from bot.santo.models import BatchOutcome
from bot.services import Services
from bot.store.sends import NewSend, SendView, create_send, finish_send, record_batch, send_row
from bot.store.tables import NumberStatus, SendKind, SendState
from bot.text import TextInfo, analyse
from handlers.blocks.home import build_home_message

log = logging.getLogger(__name__)

_POST_ERRORS = {
    "not_in_channel": "I'm not in that channel. Invite me with `/invite @Santo` and try again.",
    "channel_not_found": (
        "I can't see that channel: it is private or a direct message I'm not part of. "
        "Invite me with `/invite @Santo`, or send from a public channel."
    ),
    "is_archived": "That channel is archived. Send from another channel.",
    "restricted_action": "This workspace does not let me post in that channel. Ask an admin.",
}


class CannotPost(Exception):
    """The bot cannot post the send's message where it belongs; nothing was sent."""

    def __init__(self, channel_id: str, error: str) -> None:
        self.channel_id = channel_id
        self.error = error
        advice = _POST_ERRORS.get(error, f"Slack said `{error}`.")
        super().__init__(f"I can't post in <#{channel_id}>, so nothing was sent. {advice}")


@dataclass(frozen=True)
class SendRequest:
    team_id: str
    user_id: str
    channel_id: str
    kind: SendKind
    text: str
    numbers: tuple[PhoneNumber, ...]
    sender_id: str | None = None
    lang: str | None = None
    invalid: tuple[tuple[str, str], ...] = ()
    """What the user typed that is not a number, with the reason (shown, never sent)."""

    @property
    def text_info(self) -> TextInfo:
        return analyse(self.text)

    @property
    def parts(self) -> int:
        """Parts billed per number: one per call for voice."""
        return 1 if self.kind == SendKind.VOICE else self.text_info.parts

    def to_payload(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "kind": self.kind.value,
            "text": self.text,
            "numbers": [[n.msisdn, n.region, n.display] for n in self.numbers],
            "sender_id": self.sender_id,
            "lang": self.lang,
            "invalid": [list(pair) for pair in self.invalid],
        }

    def stored(self, channel_id: str, estimate: Estimate | None) -> NewSend:
        """What the store keeps of this request, for the channel it was posted in."""
        return NewSend(
            team_id=self.team_id,
            user_id=self.user_id,
            channel_id=channel_id,
            kind=self.kind,
            text=self.text,
            sender_id=self.sender_id,
            lang=self.lang,
            encoding=self.text_info.encoding,
            parts=self.parts,
            estimated_cost=estimate.total if estimate else None,
            numbers=self.numbers,
        )

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> SendRequest:
        return cls(
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            channel_id=payload["channel_id"],
            kind=SendKind(payload["kind"]),
            text=payload["text"],
            numbers=tuple(PhoneNumber(m, r, d) for m, r, d in payload["numbers"]),
            sender_id=payload.get("sender_id"),
            lang=payload.get("lang"),
            invalid=tuple((raw, why) for raw, why in payload.get("invalid", [])),
        )


@dataclass(frozen=True)
class SendResult:
    send_id: int
    channel_id: str
    message_ts: str
    state: SendState


def provisional_view(request: SendRequest, estimate: Estimate | None) -> SendView:
    """The home message's first version, before anything is stored."""
    send = send_row(request.stored(request.channel_id, estimate), None)
    single = request.numbers[0].msisdn if len(request.numbers) == 1 else None
    return SendView(
        send=send, counts=Counter({NumberStatus.QUEUED: len(request.numbers)}), single_number=single
    )


async def execute(services: Services, request: SendRequest, estimate: Estimate | None = None) -> SendResult:
    """Post the home message, store the send, submit it, show the outcome.

    Raises CannotPost before anything is stored or sent when the channel refuses the bot.
    """
    if estimate is None:
        estimate = await services.prices.estimate(request.numbers, request.parts)
    fallback, blocks = build_home_message(provisional_view(request, estimate))
    try:
        posted = await services.slack.chat_postMessage(
            channel=request.channel_id, text=fallback, blocks=blocks, unfurl_links=False
        )
    except SlackApiError as exc:
        raise CannotPost(request.channel_id, str(exc.response.get("error", "unknown_error"))) from None
    ts = str(posted["ts"])
    channel = str(posted.get("channel") or request.channel_id)
    new = request.stored(channel, estimate)
    send_id = await create_send(services.db, new, ts)

    async def store(outcome: BatchOutcome) -> None:
        await record_batch(services.db, send_id, outcome)

    msisdns = [n.msisdn for n in request.numbers]
    detail = None
    try:
        if request.kind == SendKind.VOICE:
            await _send_voice(services, msisdns, request, store)
        else:
            await services.santo.send_sms(msisdns, request.text, request.sender_id, on_batch=store)
    except SantoError as exc:  # refused before any submit (invalid request)
        detail = f":x: Not sent: {exc}"
        await store(BatchOutcome(tuple(msisdns), error=exc))
    state = await finish_send(services.db, send_id, detail)
    services.wake_notifier()
    return SendResult(send_id, channel, ts, state)


async def _send_voice(services: Services, msisdns: list[str], request: SendRequest, store: Any) -> None:
    async def one(number: str) -> None:
        try:
            result = await services.santo.send_voice(number, request.text, request.lang)
            outcome = BatchOutcome((number,), result=result)
        except SantoError as exc:
            outcome = BatchOutcome((number,), error=exc)
        await store(outcome)

    await asyncio.gather(*(one(n) for n in msisdns))
