"""One deployment for many workspaces: each workspace's Slack client (its bot token, from the
installation Slack's OAuth flow stored) and Santo client (the account its admin connected, the
password opened from its sealed form only here, in memory)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from cachetools import TTLCache
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.santo.client import ClientConfig, SantoClient
from bot.santo.prices import PriceBook
from bot.slack_client import CountingWebClient, SlackHttp
from bot.store import workspaces
from bot.store.db import Database
from bot.store.installations import Installations
from bot.store.sealed import SealError, SecretBox

log = logging.getLogger(__name__)

KEPT = 1000
"""Workspaces whose clients a process keeps ready."""
SLACK_CLIENT_SECONDS = 600.0
"""How long a workspace's bot client is used before its installation is read again (a token
rotated or revoked elsewhere is seen within this time)."""
ROTATE_BEFORE_MINUTES = 120
"""With token rotation on, a bot token is refreshed this long before it ends (Bolt's default)."""
RECHECK_SECONDS = 60.0
"""How long a process uses a workspace's Santo client before it reads the workspace again: an
account changed or removed in another process takes effect here within this time."""


@dataclass(frozen=True)
class SantoAccess:
    client: SantoClient
    prices: PriceBook
    sealed: str
    """The sealed password it was made from: a different one means the account changed."""
    fresh_until: float


class WorkspaceClients:
    def __init__(
        self,
        db: Database,
        installations: Installations,
        box: SecretBox,
        slack_api_url: str,
        santo_defaults: ClientConfig,
        client_secret: str,
        http: SlackHttp,
    ) -> None:
        self.db = db
        self.installations = installations
        self.box = box
        self.slack_api_url = slack_api_url
        self.http = http
        self.santo_defaults = santo_defaults
        """Paths, timeouts and concurrency of every workspace's client (the settings'); the base
        URL and account are each workspace's own."""
        self._slack: TTLCache[str, AsyncWebClient] = TTLCache(KEPT, SLACK_CLIENT_SECONDS)
        self._rotator = AsyncTokenRotator(
            client_id=installations.client_id,
            client_secret=client_secret,
            client=CountingWebClient(base_url=slack_api_url, http=http),
        )
        self._santo: dict[str, SantoAccess] = {}

    async def slack(self, team_id: str) -> AsyncWebClient | None:
        """The workspace's bot client; None when it is not installed (or left). With token
        rotation on, a token close to its end is refreshed (and stored) first, as Bolt does for
        the requests Slack sends."""
        client = self._slack.get(team_id)
        if client is None:
            bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)
            if bot is None or not bot.bot_token:
                return None
            if bot.bot_token_expires_at is not None:
                rotated = await self._rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=ROTATE_BEFORE_MINUTES
                )
                if rotated is not None:
                    await self.installations.async_save_bot(rotated)
                    bot = rotated
            client = CountingWebClient(token=bot.bot_token, base_url=self.slack_api_url, http=self.http)
            self._slack[team_id] = client
        return client

    async def santo(self, team_id: str) -> SantoAccess | None:
        """The workspace's Santo client; None until an admin connects an account."""
        access = self._santo.get(team_id)
        if access is not None and access.fresh_until > time.monotonic():
            return access
        found = await workspaces.get(self.db, team_id)
        sealed = found.santo_secret if found is not None and found.uninstalled_at is None else None
        if access is not None:
            if sealed == access.sealed:
                access = self._santo[team_id] = replace(
                    access, fresh_until=time.monotonic() + RECHECK_SECONDS
                )
                return access
            await self.forget(team_id)
        if found is None or not sealed:
            return None
        try:
            password = self.box.open(sealed)
        except SealError:
            log.error("workspace %s: its Santo password cannot be opened with SANTO_SECRETS_KEY", team_id)
            return None
        config = replace(
            self.santo_defaults,
            base_url=found.santo_base_url or self.santo_defaults.base_url,
            cpid=found.santo_cpid or "",
            cppwd=password,
        )
        client = SantoClient(config)
        fresh_until = time.monotonic() + RECHECK_SECONDS
        access = self._santo[team_id] = SantoAccess(client, PriceBook(client), sealed, fresh_until)
        return access

    async def forget(self, team_id: str) -> None:
        """Drop what this process holds for the workspace (it reconnected or left)."""
        self._slack.pop(team_id, None)
        access = self._santo.pop(team_id, None)
        if access is not None:
            await access.client.close()

    async def close(self) -> None:
        for team_id in list(self._santo):
            await self.forget(team_id)
