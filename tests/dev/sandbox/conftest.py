"""Fixtures for the sandbox tests: a sandbox on loopback, an HTTP client, a callback server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web

from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, SandboxState, create_sandbox_app
from bot.santo.uplink import Uplink, parse_uplink
from tests.conftest import Serve

CPID = "Test101"
PASSWORD = "Test101"
CN = "8613910825657"
US = "14155552671"


@dataclass
class Sandbox:
    url: str
    state: SandboxState
    http: aiohttp.ClientSession

    async def get(self, path: str, **params: str) -> str:
        async with self.http.get(self.url + path, params=params) as response:
            assert response.status == 200
            return await response.text()

    async def submit(self, **params: str) -> list[tuple[str, str]]:
        """Send /submit with the account's credentials unless given; the answer's fields."""
        query = {"cpid": CPID, "cppwd": PASSWORD, **params}
        async with self.http.get(self.url + "/submit", params=query) as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            return parse_qsl(await response.text(), keep_blank_values=True)

    async def json(self, path: str, **params: str) -> Any:
        query = {"cpid": CPID, "cppwd": PASSWORD, **params}
        async with self.http.get(self.url + path, params=query) as response:
            assert response.status == 200
            assert response.content_type == "application/json"
            return json.loads(await response.text(), parse_float=Decimal)

    async def balance(self) -> Decimal:
        body = await self.json("/get-balance")
        value: Decimal = body["balance"]
        return value


StartSandbox = Callable[..., Awaitable[Sandbox]]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def sandbox_factory(serve: Serve, http: aiohttp.ClientSession) -> StartSandbox:
    """`sb = await sandbox_factory(fail_rate=…)`: fast report timing unless overridden."""

    async def start(**overrides: Any) -> Sandbox:
        settings: dict[str, Any] = {"report_delay": 0.05, "retry_backoff": 0.01, **overrides}
        app = create_sandbox_app(SandboxConfig(**settings))
        url = await serve(app)
        return Sandbox(url, app[SANDBOX_STATE], http)

    return start


@pytest.fixture
async def sandbox(sandbox_factory: StartSandbox) -> Sandbox:
    return await sandbox_factory()


@dataclass
class Callbacks:
    """A tiny customer endpoint recording every callback (GET or POST) with its fields (query and
    form); answers as the app would (`parse_uplink`), with the statuses of `script`, then 200.
    `bodies` replaces the answer's body, one callback each."""

    url: str = ""
    received: list[web.Request] = field(default_factory=list)
    fields: list[dict[str, str]] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: web.Request) -> web.Response:
        status = self.script.pop(0) if self.script else 200
        params = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            params.update((key, value) for key, value in form.items() if isinstance(value, str))
        answer = self.bodies.pop(0) if self.bodies else parse_uplink(params).answer
        async with self.changed:
            self.received.append(request)
            self.fields.append(params)
            self.changed.notify_all()
        return web.Response(status=status, text=answer)

    def uplinks(self) -> list[Uplink]:
        """What each callback held, as the app reads it."""
        return [parse_uplink(params) for params in self.fields]

    async def wait_for(self, count: int) -> list[web.Request]:
        """Wait (5 s at most) until `count` reports have arrived."""
        async with asyncio.timeout(5), self.changed:
            await self.changed.wait_for(lambda: len(self.received) >= count)
        return list(self.received)

    def queries(self) -> list[dict[str, str]]:
        return [dict(request.query) for request in self.received]


@pytest.fixture
async def callbacks(serve: Serve) -> Callbacks:
    recorder = Callbacks()
    app = web.Application()
    app.router.add_get("/santo/report", recorder.handle)
    app.router.add_post("/santo/report", recorder.handle)
    recorder.url = await serve(app) + "/santo/report"
    return recorder
