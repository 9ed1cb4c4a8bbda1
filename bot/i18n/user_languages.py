"""Each Slack user's language (and country), from their Slack locale (`users.info` with
`include_locale`).

Looked up once per user and kept for an hour; when Slack cannot tell us (an error, a timeout,
a missing scope) the configured default is used and asked again a few minutes later. A lookup
never fails a request.
"""

from __future__ import annotations

import asyncio
import copy
import logging

from cachetools import TLRUCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import TEXTS, Language, Texts, language_of_locale, region_of_locale

log = logging.getLogger(__name__)

KEEP_FOR = 3600.0
"""Seconds a user's language is kept (a changed Slack locale shows within this)."""
RETRY_AFTER = 300.0
"""Seconds before asking again about a user Slack could not tell us about."""
LOOKUP_TIMEOUT = 2.0
"""Seconds a lookup may take before the default is used: the user is waiting for an answer."""
USERS_KEPT = 10_000


class UserLanguages:
    def __init__(
        self,
        slack: AsyncWebClient,
        default: Language,
        *,
        keep_for: float = KEEP_FOR,
        retry_after: float = RETRY_AFTER,
    ) -> None:
        self.slack = slack
        self.default = default
        self.keep_for = keep_for
        self.retry_after = retry_after
        self._known: TLRUCache[str, tuple[Language, str | None, float]] = TLRUCache(
            USERS_KEPT, lambda _user, answer, at: at + answer[2]
        )
        """User → (language, country of their locale, seconds it is kept for)."""

    def with_slack(self, slack: AsyncWebClient) -> UserLanguages:
        """The same cache, asking Slack with another workspace's client."""
        other = copy.copy(self)
        other.slack = slack
        return other

    def texts(self, language: str | None) -> Texts:
        """Texts in a stored language (a send's), or the default's when none was stored."""
        try:
            return TEXTS[Language(language)] if language else TEXTS[self.default]
        except ValueError:
            return TEXTS[self.default]

    async def of(self, user_id: str | None) -> Language:
        return (await self._of(user_id))[0] if user_id else self.default

    async def region(self, user_id: str | None) -> str | None:
        """The country of the user's Slack locale (`zh-CN` → `CN`), None when it names none."""
        return (await self._of(user_id))[1] if user_id else None

    async def _of(self, user_id: str) -> tuple[Language, str | None, float]:
        known = self._known.get(user_id)
        if known is None:
            known = self._known[user_id] = await self._look_up(user_id)
        return known

    async def texts_for(self, user_id: str | None) -> Texts:
        return TEXTS[await self.of(user_id)]

    async def _look_up(self, user_id: str) -> tuple[Language, str | None, float]:
        try:
            answer = await asyncio.wait_for(
                self.slack.users_info(user=user_id, include_locale=True), LOOKUP_TIMEOUT
            )
        except (SlackApiError, TimeoutError, OSError) as exc:
            log.warning("users.info for %s failed (%s): using the default language", user_id, exc)
            return self.default, None, self.retry_after
        user = answer.get("user") or {}
        locale = user.get("locale")
        return language_of_locale(locale, self.default), region_of_locale(locale), self.keep_for
