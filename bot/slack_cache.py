"""Slack's answers that seldom change, kept per process (one of each on `Services`): user group
members, people's names, message permalinks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from cachetools import LRUCache, TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.plain_text import display_name

log = logging.getLogger(__name__)

GROUP_CACHE_SECONDS = 300.0
GROUPS_KEPT = 1000
PERMALINKS_KEPT = 5000


class Groups:
    """Members of Slack user groups, asked of Slack at most every few minutes. When Slack cannot
    answer, the last answer (or nobody) stands until the next try."""

    def __init__(self, ttl: float = GROUP_CACHE_SECONDS) -> None:
        self._fresh: TTLCache[str, frozenset[str]] = TTLCache(GROUPS_KEPT, ttl)
        self._known: LRUCache[str, frozenset[str]] = LRUCache(GROUPS_KEPT)

    async def members(self, slack: AsyncWebClient, group: str) -> frozenset[str]:
        fresh = self._fresh.get(group)
        if fresh is not None:
            return fresh
        try:
            answer = await slack.usergroups_users_list(usergroup=group)
            members = frozenset(str(u) for u in answer.get("users") or [])
        except SlackApiError:
            members = self._known.get(group, frozenset())
        self._fresh[group] = self._known[group] = members
        return members


class UserNames:
    """User id → name, from `users.info`, kept for the process's life (names rarely change).

    Lookups run concurrently and stop after `timeout` seconds: a shortcut's trigger lasts
    3 s, so a slow answer falls back to the id rather than losing the modal."""

    def __init__(self, max_size: int = 10_000, max_lookups: int = 50) -> None:
        self.max_lookups = max_lookups
        self._names: LRUCache[str, str] = LRUCache(max_size)

    async def lookup(
        self,
        client: AsyncWebClient,
        ids: Iterable[str],
        timeout: float = 1.5,  # noqa: ASYNC109 - a budget for many calls, not one
    ) -> dict[str, str]:
        wanted = list(dict.fromkeys(ids))
        missing = [user for user in wanted if user not in self._names][: self.max_lookups]
        if missing:
            tasks = [asyncio.ensure_future(self._ask(client, user)) for user in missing]
            _done, late = await asyncio.wait(tasks, timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        return {user: self._names[user] for user in wanted if user in self._names}

    async def _ask(self, client: AsyncWebClient, user: str) -> None:
        try:
            answer = await client.users_info(user=user)
        except SlackApiError as exc:
            log.info("users.info %s: %s", user, exc.response.get("error"))
            return
        except Exception:  # a name is a nicety: the id is shown instead
            log.warning("users.info %s failed", user, exc_info=True)
            return
        info = answer.get("user")
        name = display_name(info) if isinstance(info, dict) else None
        if name is not None:
            self._names[user] = name


class Permalinks:
    """chat.getPermalink answers (a message's link never changes)."""

    def __init__(self, max_size: int = PERMALINKS_KEPT) -> None:
        self._links: LRUCache[tuple[str, str], str] = LRUCache(max_size)

    async def get(self, slack: AsyncWebClient, channel: str, ts: str | None) -> str | None:
        """The message's link; None when it has no ts yet or Slack will not say."""
        if not ts:
            return None
        key = (channel, ts)
        if key not in self._links:
            try:
                answer = await slack.chat_getPermalink(channel=channel, message_ts=ts)
            except SlackApiError as exc:
                log.info("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
                return None
            link = answer.get("permalink")
            if not isinstance(link, str) or not link:
                return None
            self._links[key] = link
        return self._links[key]
