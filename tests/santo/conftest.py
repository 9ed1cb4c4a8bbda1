"""Fixtures for the platform client's tests: the sandbox and scripted platforms, on loopback."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, SandboxState, create_sandbox_app
from bot.santo.client import ClientConfig, SantoClient
from bot.santo.redact import guard_aiohttp_logs
from tests.conftest import Serve
from tests.secret_guard import register_secret

CPID = "Acme01"
PASSWORD = register_secret("pw-3e9f-secret")
WRONG_PASSWORD = register_secret("wr0ng-7c1d-guess")

# The manual's success lines (4.1, 4.2), literally.
MT_OK = "command=MT_RESPONSE&cpid=Test101&cppwd=000&mtmsgid=21426847850888196661&mtstat=ACCEPTD&mterrcode=000"
MULTI_OK = "command=MULTI_MT_RESPONSE&cpid=Test101&cppwd=000&mtmsgid=21426847850888196661&mtstat=ACCEPTD&mtterrcode=000"


@dataclass
class Sandbox:
    url: str
    state: SandboxState


StartSandbox = Callable[..., Awaitable[Sandbox]]


@pytest.fixture
def sandbox_factory(serve: Serve) -> StartSandbox:
    """`sb = await sandbox_factory(report_delay=…)`: a sandbox with the account Acme01."""

    async def start(**overrides: Any) -> Sandbox:
        settings: dict[str, Any] = {
            "accounts": {CPID: PASSWORD},
            "report_delay": 0.05,
            "retry_backoff": 0.01,
            **overrides,
        }
        app = create_sandbox_app(SandboxConfig(**settings))
        return Sandbox(await serve(app), app[SANDBOX_STATE])

    return start


@pytest.fixture
async def sandbox(sandbox_factory: StartSandbox) -> Sandbox:
    return await sandbox_factory()


MakeClient = Callable[..., Awaitable[SantoClient]]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """`client = await make_client(url, concurrency=2, …)`: an open client, closed afterwards."""
    async with AsyncExitStack() as stack:

        async def make(url: str, **overrides: Any) -> SantoClient:
            settings: dict[str, Any] = {
                "base_url": url,
                "cpid": CPID,
                "cppwd": PASSWORD,
                "retry_backoff": 0.01,
                **overrides,
            }
            return await stack.enter_async_context(SantoClient(ClientConfig(**settings)))

        yield make


@pytest.fixture
async def client(sandbox: Sandbox, make_client: MakeClient) -> SantoClient:
    return await make_client(sandbox.url)


Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(repr=False)
class FakePlatform:
    """A scripted platform on loopback: every GET goes to `answer`; requests are counted.

    `requests` holds (path, query) of every request that reached it, `max_in_flight` the most
    requests it was answering at once.
    """

    answer: Answer
    url: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    """Set at teardown, so an answer that waits on it ends with the test."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.query)))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self.answer(request)
        finally:
            self.in_flight -= 1

    def __repr__(self) -> str:  # requests hold the password: keep it out of assert messages
        return f"FakePlatform({self.url}, {len(self.requests)} request(s))"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


StartFake = Callable[[Answer], Awaitable[FakePlatform]]


@pytest.fixture
async def fake_platform(serve: Serve) -> AsyncIterator[StartFake]:
    """`fake = await fake_platform(answer)`: a scripted platform answering every path."""
    # The fake's access log prints the query string: mask it as the sandbox does.
    guard_aiohttp_logs()
    started: list[FakePlatform] = []

    async def start(answer: Answer) -> FakePlatform:
        fake = FakePlatform(answer)
        app = web.Application()
        app.router.add_get("/{path:.*}", fake.handle)
        fake.url = await serve(app)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.release.set()


def text(body: str, status: int = 200, content_type: str = "text/plain") -> web.Response:
    return web.Response(text=body, status=status, content_type=content_type)


def always(body: str, status: int = 200, content_type: str = "text/plain") -> Answer:
    """A platform that gives every request the same answer."""

    async def answer(request: web.Request) -> web.Response:
        return text(body, status, content_type)

    return answer


_MSGIDS = itertools.count(30_000_000_000_000_000_000)


def accept_line(request: web.Request) -> web.Response:
    """The manual's success answer for the request's command, with a fresh msgid."""
    command = request.query.get("command", "MT_REQUEST").replace("REQUEST", "RESPONSE")
    return text(
        f"command={command}&cpid={request.query.get('cpid', '')}&cppwd=000"
        f"&mtmsgid={next(_MSGIDS)}&mtstat=ACCEPTD&mterrcode=000"
    )
