"""Shows each send's story in Slack, from the stored state (docs/architecture.md).

One pass: claim sends with news → render each channel message from the database → one
`chat.update` per send → one thread reply with the failures not yet explained → clear the
news, in that order, so a crash repeats an update instead of losing one. Slack's limits are
spent from token buckets; a 429 blocks that bucket for `Retry-After` seconds; other failures
back off per send. Report intake never waits for any of this.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.ratelimit import Buckets
from bot.i18n import Texts
from bot.reports.inbox import Inbox
from bot.services import Services
from bot.store.db import now
from bot.store.models import Failure, SendView
from bot.store.notify import (
    Claim,
    attempts,
    claim_dirty,
    defer,
    mark_announced,
    settle,
    unannounced_failures,
)
from bot.store.sends import load_send
from bot.views.channel_message import build_channel_message, build_minimal_message
from bot.views.failures import MAX_PER_REPLY, build_failures_reply

log = logging.getLogger(__name__)

PERMANENT = {"message_not_found", "channel_not_found", "not_in_channel", "is_archived", "cant_update_message"}
REFUSED_DRAWING = {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "invalid_attachments"}
"""Slack's answers to a message it cannot show as drawn: sending it again would not help."""
CLAIMS_PER_PASS = 20
PASS_GAP = 0.2
"""Seconds between passes: changes arriving meanwhile are shown together."""
LEASE = timedelta(seconds=20)
"""A claim a crashed process leaves behind holds its sends this long at most."""


class Notifier:
    def __init__(self, services: Services, idle_wait: float = 1.0, min_gap: float = 1.0) -> None:
        self.services = services
        self.idle_wait = idle_wait
        self.min_gap = min_gap
        """Seconds between two updates of one send: busy sends coalesce more."""
        self.updates = Buckets(rate=50 / 60, burst=10)  # chat.update: Tier 3, per workspace
        self.posts = Buckets(rate=1.0, burst=3)  # chat.postMessage: about 1/s per channel
        self.last_shown: dict[int, float] = {}
        self.inbox = Inbox(services, self.posts)
        self._undrawable: set[int] = set()
        """Sends whose message could not be drawn in full, already logged with a traceback."""

    async def run(self) -> None:
        services = self.services
        while not services.stopping.is_set():
            try:
                busy = await self.pass_once()
            except Exception:
                log.exception("notifier pass failed; trying again")
                busy = 0
            if not busy:
                services.changes.clear()
                await services.pause(self.idle_wait, wake=services.changes)
            await services.pause(PASS_GAP)  # let a burst of changes gather into one pass

    async def pass_once(self) -> int:
        claims = await claim_dirty(self.services.db, CLAIMS_PER_PASS, LEASE, now())
        await asyncio.gather(*(self.show_guarded(claim) for claim in claims))
        await self.inbox.post()
        return len(claims)

    async def show_guarded(self, claim: Claim) -> None:
        """`show`, where a surprise stays with its send: logged, that send tried again later,
        the other sends of the pass shown meanwhile."""
        try:
            await self.show(claim)
        except Exception:
            log.warning(
                "send %d could not be shown; trying again later",
                claim.send_id,
                exc_info=self._first(claim.send_id),
            )
            await self._back_off(claim)

    def _first(self, send_id: int) -> bool:
        """Whether this is the first problem drawing this send (logged with its traceback then,
        on one line after that)."""
        first = send_id not in self._undrawable
        self._undrawable.add(send_id)
        return first

    def draw(self, t: Texts, view: SendView) -> tuple[str, list[dict[str, object]]]:
        """(fallback text, blocks) of the send's message; its counts only if it cannot be drawn
        in full (the blocks are checked by slack_sdk here, not in the middle of the call)."""
        try:
            fallback, blocks = build_channel_message(t, view)
            return fallback, [block.to_dict() for block in blocks]
        except Exception:
            log.warning(
                "send %s's message could not be drawn; showing its counts",
                view.send.id,
                exc_info=self._first(view.send.id or 0),
            )
            return self.draw_minimal(t, view)

    @staticmethod
    def draw_minimal(t: Texts, view: SendView) -> tuple[str, list[dict[str, object]]]:
        fallback, blocks = build_minimal_message(t, view)
        return fallback, [block.to_dict() for block in blocks]

    async def show(self, claim: Claim) -> None:
        db = self.services.db
        wait = self.last_shown.get(claim.send_id, 0.0) + self.min_gap - time.monotonic()
        if wait > 0:
            await defer(db, claim.send_id, now() + timedelta(seconds=wait), failed=False)
            return
        view = await load_send(db, claim.send_id)
        ts = view.send.message_ts if view else None
        if view is None or ts is None:
            await settle(db, claim, done=True)
            return
        send = view.send
        slack = (await self.services.for_team(send.team_id)).slack  # distribution mode: its own token
        bucket = self.updates[send.team_id]
        if not bucket.take():
            await defer(db, claim.send_id, now() + timedelta(seconds=1 / bucket.rate), failed=False)
            return
        t = self.services.languages.texts(send.ui_language)
        fallback, blocks = self.draw(t, view)
        try:
            try:
                await slack.chat_update(channel=send.channel_id, ts=ts, text=fallback, blocks=blocks)
            except SlackApiError as exc:
                if exc.response.get("error") not in REFUSED_DRAWING:
                    raise
                log.warning(
                    "Slack refused send %d's message (%s); showing its counts only",
                    claim.send_id,
                    exc.response.get("error"),
                )
                fallback, blocks = self.draw_minimal(t, view)
                await slack.chat_update(channel=send.channel_id, ts=ts, text=fallback, blocks=blocks)
            self.last_shown[claim.send_id] = time.monotonic()
            failures = await unannounced_failures(db, claim.send_id, MAX_PER_REPLY + 1)
            more = len(failures) > MAX_PER_REPLY
            failures = failures[:MAX_PER_REPLY]
            if failures:
                channel = self.posts[send.channel_id]
                if not channel.take():
                    await defer(db, claim.send_id, now() + timedelta(seconds=1), failed=False)
                    return
                thread = send.thread_ts or ts  # a message in a thread has its failures there too
                await self.reply_failures(slack, t, send.channel_id, thread, claim.send_id, failures)
                await mark_announced(db, [f.id for f in failures])
        except SlackApiError as exc:
            await self._slack_failed(claim, send.team_id, send.channel_id, exc)
            return
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("Slack unreachable while showing send %d: %s", claim.send_id, type(exc).__name__)
            await self._back_off(claim)
            return
        await settle(db, claim, done=not more)

    async def reply_failures(
        self, slack: AsyncWebClient, t: Texts, channel: str, ts: str, send_id: int, failures: list[Failure]
    ) -> None:
        """The thread reply listing failures; if it cannot be drawn, or Slack refuses it as
        drawn, a reply that only says how many failed (the send's message still counts them)."""
        try:
            text, blocks = build_failures_reply(t, failures)
            drawn = [block.to_dict() for block in blocks]
        except Exception:
            log.warning(
                "send %d's failures could not be listed; saying how many",
                send_id,
                exc_info=self._first(send_id),
            )
            drawn = None
        if drawn is not None:
            try:
                await slack.chat_postMessage(channel=channel, thread_ts=ts, text=text, blocks=drawn)
                return
            except SlackApiError as exc:
                if exc.response.get("error") not in REFUSED_DRAWING:
                    raise
                log.warning("Slack refused send %d's failures reply (%s)", send_id, exc.response.get("error"))
        await slack.chat_postMessage(
            channel=channel, thread_ts=ts, text=t.count("failures.fallback", len(failures))
        )

    async def _slack_failed(self, claim: Claim, team: str, channel: str, exc: SlackApiError) -> None:
        response = exc.response
        error = str(response.get("error", ""))
        if response.status_code == 429:
            retry_after = float(response.headers.get("Retry-After", response.headers.get("retry-after", 1)))
            self.updates[team].block(retry_after)
            self.posts[channel].block(retry_after)
            log.info("Slack says slow down for %.0f s (send %d waits)", retry_after, claim.send_id)
            await defer(self.services.db, claim.send_id, now() + timedelta(seconds=retry_after), failed=False)
        elif error in PERMANENT:
            log.warning(
                "send %d's message cannot be shown any more (%s); giving up on it", claim.send_id, error
            )
            await settle(self.services.db, claim, done=True)
        else:
            log.warning(
                "Slack refused to show send %d (%s, HTTP %s)", claim.send_id, error, response.status_code
            )
            await self._back_off(claim)

    async def _back_off(self, claim: Claim) -> None:
        tried = await attempts(self.services.db, claim.send_id)
        delay = min(60.0, 0.5 * 2**tried)
        await defer(self.services.db, claim.send_id, now() + timedelta(seconds=delay), failed=True)
