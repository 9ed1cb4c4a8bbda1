"""The whole app over real loopback HTTP: Slack stand-in, sandbox platform, real database."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, SandboxState, create_sandbox_app
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import Message, ResponsePost, SlackStandIn
from bot.reports.intake import WRITER, ReportWriter
from bot.services import Services
from bot.settings import Settings, load_settings
from bot.store.changes import unshown
from bot.store.tables import Recipient, Send
from bot.web import SERVICES, create_web_app
from tests.conftest import Serve, manifest_functions
from tests.secret_guard import register_secret

SIGNING_SECRET = "e2e-signing-secret"
BOT_TOKEN = "xoxb-e2e-token"
CPID = "Acme01"
PASSWORD = register_secret("pw-e2e-9c1d-secret")
CHANNEL = "C0GENERAL"
REPORT_TOKEN = "e2e-report-token-3f9a"


@dataclass
class World:
    """One running app and everything around it."""

    url: str
    standin: SlackStandIn
    slack: SlackRequests
    sandbox: SandboxState
    services: Services
    settings: Settings
    app: web.Application

    async def command(self, text: str, **kwargs: Any) -> ResponsePost:
        """Run `/sms text`, expect an immediate empty 200, and wait for the first ephemeral answer."""
        before = len(self.standin.responses)
        status, body = await self.slack.command(text, **kwargs)
        assert status == 200, body
        await self.standin.wait_for(
            lambda: len(self.standin.responses) > before, what=f"answer to /sms {text}"
        )
        return self.standin.responses[before]

    async def send(self, text: str, **kwargs: Any) -> None:
        """Run `/sms text` for a send: the answer is the message in the channel, not a reply."""
        status, body = await self.slack.command(text, **kwargs)
        assert status == 200, body

    async def channel_message(self, channel: str = CHANNEL, settled: bool = True) -> Message:
        """The send's message in `channel`, once it shows the platform's outcome."""

        def ready() -> bool:
            message = self.standin.last_message(channel)
            return message is not None and (
                not settled or "Sending to the platform" not in blocks_text(message.blocks)
            )

        await self.standin.wait_for(ready, what=f"a settled channel message in {channel}")
        message = self.standin.last_message(channel)
        assert message is not None
        return message

    async def channel_text(self, channel: str = CHANNEL) -> str:
        """The text of the settled send's message in `channel`, for assertions."""
        return blocks_text((await self.channel_message(channel)).blocks)

    def writer(self) -> ReportWriter:
        return self.app[WRITER]

    @property
    def report_url(self) -> str:
        return f"{self.url}/santo/reports/{REPORT_TOKEN}"

    async def shows(self, text: str, channel: str = CHANNEL, within: float = 10.0) -> Message:
        """Wait until the newest send's message in `channel` contains `text`."""

        def showing() -> bool:
            message = self.standin.last_message(channel)
            return message is not None and text in blocks_text(message.blocks)

        await self.standin.wait_for(showing, timeout=within, what=f"{text!r} in the channel message")
        message = self.standin.last_message(channel)
        assert message is not None
        return message

    async def sends(self) -> list[Send]:
        async with self.services.db.session() as session:
            return list(await session.scalars(select(Send).order_by(Send.id)))

    async def recipients(self) -> list[Recipient]:
        async with self.services.db.session() as session:
            return list(await session.scalars(select(Recipient).order_by(Recipient.id)))

    async def quiet(self) -> None:
        """Wait until every send's message shows its stored state (nothing left to show)."""

        async def dirty() -> int:
            async with self.services.db.session() as session:
                return int((await session.execute(unshown())).one()[0])

        for _ in range(200):
            if not await dirty():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("sends still have changes to show after 10 s")

    async def idle(self, within: float = 15) -> None:
        """Wait until the app's background work is done (`within` seconds for big sends)."""
        await self.standin.wait_for(
            lambda: self.services.background.pending == 0,
            timeout=within,
            what="background work to finish",
        )


def blocks_text(blocks: list[dict[str, Any]] | None) -> str:
    """All text in a list of blocks, for assertions."""
    return json.dumps(blocks or [], ensure_ascii=False)


MakeWorld = Callable[..., Awaitable[World]]


@pytest.fixture
async def make_world(serve: Serve, database_url: str) -> AsyncIterator[MakeWorld]:
    async def make(sandbox: SandboxConfig | None = None, **settings: Any) -> World:
        standin = SlackStandIn(token=BOT_TOKEN, functions=manifest_functions())
        standin.base_url = await serve(standin.app())
        config = replace(sandbox or SandboxConfig(report_delay=0.05), accounts={CPID: PASSWORD})
        sandbox_app = create_sandbox_app(config)
        sandbox_url = await serve(sandbox_app)
        defaults = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": standin.api_url(),
            "santo_base_url": sandbox_url,
            "santo_cpid": CPID,
            "santo_cppwd": PASSWORD,
            "database_url": database_url,
            "santo_report_token": REPORT_TOKEN,
        }
        loaded = load_settings(**(defaults | settings))
        web_app = create_web_app(loaded)
        services = web_app[SERVICES]
        await services.db.migrate()
        url = await serve(web_app)
        state = sandbox_app[SANDBOX_STATE]
        if state.config.callback_url is None:
            state.config.callback_url = f"{url}/santo/reports/{REPORT_TOKEN}"
        slack = SlackRequests(url, SIGNING_SECRET, standin)
        worlds.append(slack)
        return World(url, standin, slack, state, services, loaded, web_app)

    worlds: list[SlackRequests] = []
    yield make
    for slack in worlds:
        await slack.close()


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """`database_url`, on PostgreSQL only: the test is skipped on SQLite (and without
    TEST_DATABASE_URL), for what only PostgreSQL shares between processes."""
    if database_url.startswith("sqlite"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    return database_url


@pytest.fixture
async def world(make_world: MakeWorld) -> World:
    return await make_world()


def serve_env(
    standin: SlackStandIn, sandbox_url: str, database_url: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a `python -m bot serve` subprocess against this stand-in and sandbox."""
    return os.environ | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url(),
        "SANTO_BASE_URL": sandbox_url,
        "SANTO_CPID": CPID,
        "SANTO_CPPWD": PASSWORD,
        "DATABASE_URL": database_url,
    } | (extra or {})
