"""Posts what phones write, once each: a reply in the thread of the send it answers, anything else
in the inbox channel, one thread per number; callbacks in a shape nobody expected go there raw.

Run by the notifier on each pass. Messages are claimed, grouped (per send, per number: up to
`PER_MESSAGE` in one Slack message), posted, then marked posted: a crash in between repeats a
post, it never loses one. Posting spends the same per-channel budget as the notifier's replies.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.ratelimit import Buckets
from bot.services import Services
from bot.store.db import now
from bot.store.inbound import (
    ReplyTarget,
    conversations,
    mark_posted,
    release,
    reply_targets,
    start_conversation,
)
from bot.store.notify import claim_inbound
from bot.store.tables import Inbound
from bot.views.replies import PER_MESSAGE, Shown, build_inbound_message, build_raw_callback

log = logging.getLogger(__name__)

CLAIM = 500
"""Inbound messages taken per pass: a thousand replies to one send are shown in a few passes."""
LEASE = timedelta(seconds=20)


class Inbox:
    def __init__(self, services: Services, posts: Buckets) -> None:
        self.services = services
        self.posts = posts
        self._warned = False

    async def post(self) -> None:
        db = self.services.db
        claimed = await claim_inbound(db, CLAIM, LEASE, now())
        by_account: dict[str, list[Inbound]] = defaultdict(list)
        for item in claimed:
            by_account[item.account].append(item)
        left: list[int] = []
        for account, items in by_account.items():
            left += await self._post_account(account, items)
        if left:
            await release(db, left)

    async def _post_account(self, account: str, items: list[Inbound]) -> list[int]:
        """One Santo account's messages, where that account's sends are; the ids not posted."""
        slack = (await self.services.for_team(account)).slack if account else self.services.slack
        since = now() - self.services.settings.santo_reply_window
        phones = {item.phone for item in items if item.phone}
        targets = await reply_targets(self.services.db, account, phones, since)
        replies: dict[int, list[Inbound]] = defaultdict(list)
        others: dict[str, list[Inbound]] = defaultdict(list)
        raw: list[Inbound] = []
        for item in items:
            target = targets.get(item.phone or "")
            if target is not None:
                replies[target.send_id].append(item)
            elif item.phone is not None:
                others[item.phone].append(item)
            else:
                raw.append(item)
        by_send = {target.send_id: target for target in targets.values()}
        left: list[int] = []
        for send_id, group in replies.items():
            left += await self._post_replies(slack, by_send[send_id], group)
        if others or raw:
            left += await self._post_to_inbox(slack, account, others, raw)
        return left

    async def _post_replies(
        self, slack: AsyncWebClient, target: ReplyTarget, items: list[Inbound]
    ) -> list[int]:
        t = self.services.languages.texts(target.ui_language)
        for start in range(0, len(items), PER_MESSAGE):
            chunk = items[start : start + PER_MESSAGE]
            fallback, blocks = build_inbound_message(t, _shown(chunk), reply=True)
            if not await self._say(slack, target.channel_id, fallback, blocks, target.thread_ts):
                return [item.id for item in items[start:]]
            await mark_posted(self.services.db, [item.id for item in chunk], target.send_id, now())
        return []

    async def _post_to_inbox(
        self, slack: AsyncWebClient, account: str, others: dict[str, list[Inbound]], raw: list[Inbound]
    ) -> list[int]:
        """Messages that answer no recent send, one thread per number, and callbacks in unknown
        shapes; the ids not posted (Slack said not now). Without an inbox channel they stay
        claimed until their lease ends: asking again every pass would only churn."""
        channel = self.services.settings.santo_inbox_channel
        if not channel:
            if not self._warned:
                log.warning("inbound messages are stored but not shown: set SANTO_INBOX_CHANNEL")
                self._warned = True
            return []
        t = self.services.languages.texts(None)
        known = await conversations(self.services.db, account, others)
        waiting = [item.id for items in others.values() for item in items] + [item.id for item in raw]
        posted: set[int] = set()
        for phone, items in others.items():
            thread = known[phone].thread_ts if phone in known else None
            for start in range(0, len(items), PER_MESSAGE):
                chunk = items[start : start + PER_MESSAGE]
                fallback, blocks = build_inbound_message(t, _shown(chunk), reply=False)
                ts = await self._say(slack, channel, fallback, blocks, thread)
                if not ts:
                    return [i for i in waiting if i not in posted]
                if thread is None:
                    thread = ts
                    await start_conversation(self.services.db, account, phone, channel, ts)
                await mark_posted(self.services.db, [item.id for item in chunk], None, now())
                posted.update(item.id for item in chunk)
        for item in raw:
            if not await self._say(slack, channel, build_raw_callback(t, item.command, item.raw), None, None):
                return [i for i in waiting if i not in posted]
            await mark_posted(self.services.db, [item.id], None, now())
            posted.add(item.id)
        return []

    async def _say(
        self,
        slack: AsyncWebClient,
        channel: str,
        text: str,
        blocks: Sequence[Block] | None,
        thread: str | None,
    ) -> str:
        """Post one message; its ts, or "" when Slack's budget or Slack itself says not now."""
        if not self.posts[channel].take():
            return ""
        try:
            answer = await slack.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not post inbound messages to %s: %s", channel, exc)
            return ""
        return str(answer.get("ts") or "")


def _shown(items: Sequence[Inbound]) -> list[Shown]:
    return [Shown(item.id, item.phone or "", item.text or "", item.opt) for item in items]
