"""Attacks on a running `python -m bot serve`, over loopback: what an outsider or a careless
platform can send to /slack/events and the report route, and what the process then does."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from bot.dev.local_server import free_port, wait_until_serving
from bot.dev.sandbox import SandboxConfig, create_sandbox_app
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import SlackStandIn
from bot.webserver import running
from tests.e2e.conftest import BOT_TOKEN, CPID, PASSWORD, REPORT_TOKEN, SIGNING_SECRET, serve_env

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Trap:
    """A server at an address an attacker chose: it records every request that reaches it."""

    hits: list[str] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        async def record(request: web.Request) -> web.Response:
            self.hits.append(request.path_qs)
            await asyncio.sleep(8)  # slow on purpose: a request waiting for it would wait too
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        return app


@dataclass
class Served:
    url: str
    trap: Trap
    slack: SlackRequests
    log: list[str]

    async def log_after(self, action_mark: str) -> str:
        """The process's log from `action_mark` on, once a request made after it has been logged."""
        sentinel = f"sentinel-{time.monotonic_ns()}"
        async with aiohttp.ClientSession() as http, http.get(f"{self.url}/healthz?{sentinel}") as response:
            await response.read()
        for _ in range(100):
            text = "".join(self.log)
            if sentinel in text:
                return text[text.index(action_mark) :] if action_mark in text else text
            await asyncio.sleep(0.05)
        raise AssertionError("the access log never showed the sentinel request")

    def mark(self) -> str:
        """A line written into the log collection, to read what comes after it."""
        mark = f"--mark {time.monotonic_ns()}--\n"
        self.log.append(mark)
        return mark


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    trap = Trap()
    standin = SlackStandIn(token=BOT_TOKEN)
    database = Path(tmp_path_factory.mktemp("hardening")) / "santo.db"
    async with (
        running(trap.app()) as trap_url,
        running(standin.app()) as standin_url,
        running(create_sandbox_app(SandboxConfig(accounts={CPID: PASSWORD}))) as sandbox_url,
    ):
        trap.url = trap_url
        standin.base_url = standin_url
        port = free_port()
        env = serve_env(
            standin,
            sandbox_url,
            f"sqlite:///{database}",
            {"PORT": str(port), "SANTO_REPORT_TOKEN": REPORT_TOKEN},
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", env=env, stderr=asyncio.subprocess.PIPE
        )
        log: list[str] = []

        async def collect() -> None:
            assert process.stderr is not None
            async for line in process.stderr:
                log.append(line.decode("utf-8", "replace"))

        reader = asyncio.create_task(collect())
        url = f"http://127.0.0.1:{port}"
        slack = SlackRequests(url, SIGNING_SECRET, standin)
        try:
            await wait_until_serving(url, process)
            yield Served(url, trap, slack, log)
        finally:
            await slack.close()
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=20)
            await reader
        assert "Traceback" not in "".join(log), "".join(log)[-3000:]


def sign(timestamp: str, body: bytes) -> str:
    """Slack's v0 signature, over bytes that need not be UTF-8."""
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def _command_body(trap: Trap) -> str:
    return (
        "token=x&team_id=T0TEST&user_id=U0ALICE&channel_id=C0GENERAL&command=%2Fsms&text=balance"
        f"&response_url={trap.url}/hook&trigger_id=1.2.3"
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "١٢٣", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "NOW", "X-Slack-Signature": "v0=ß"},
        {"X-Slack-Request-Timestamp": "NOW", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 3600), "X-Slack-Signature": "SIGNED"},
        {},
    ],
)
@pytest.mark.parametrize("json_body", [False, True])
async def test_an_unsigned_request_is_refused_and_nothing_in_it_is_used(
    served: Served, headers: dict[str, str], json_body: bool
) -> None:
    body = _command_body(served.trap)
    if json_body:
        body = json.dumps({"response_url": f"{served.trap.url}/hook", "type": "block_actions"})
    headers = dict(headers)
    if headers.get("X-Slack-Request-Timestamp") == "NOW":
        headers["X-Slack-Request-Timestamp"] = str(int(time.time()))
    if headers.get("X-Slack-Signature") == "SIGNED":  # right signature, stale timestamp
        ts = headers["X-Slack-Request-Timestamp"]
        headers["X-Slack-Signature"] = sign(ts, body.encode())
    started = time.monotonic()
    # The header values go out as their UTF-8 bytes: aiohttp only sends Latin-1 text.
    raw_headers = {k: v.encode().decode("latin-1") for k, v in headers.items()}
    async with (
        aiohttp.ClientSession() as http,
        http.post(served.url + "/slack/events", data=body.encode(), headers=raw_headers) as response,
    ):
        assert response.status == 401
        assert "Traceback" not in await response.text()
    assert time.monotonic() - started < 2  # nothing waited for the trap's slow answer
    await asyncio.sleep(0.3)
    assert served.trap.hits == []  # (never, in any test of this module)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=%7Bbad", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/x-www-form-urlencoded"),
        (b"text=hi", "application/x-www-form-urlencoded; charset=bogus"),
        (b"[1,2]", "application/json"),
        (b"{bad", "application/json"),
        (b'"a string"', "application/json"),
        (b'{"team": 5, "user": "x"}', "application/json"),
    ],
)
@pytest.mark.parametrize("signed", [False, True])
async def test_a_malformed_body_is_a_clear_4xx_with_one_log_line(
    served: Served, body: bytes, content_type: str, signed: bool
) -> None:
    mark = served.mark()
    headers = {"Content-Type": content_type}
    if signed:
        ts = str(int(time.time()))
        headers |= {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(ts, body)}
    async with (
        aiohttp.ClientSession() as http,
        http.post(served.url + "/slack/events", data=body, headers=headers) as response,
    ):
        assert response.status == (400 if signed else 401)
        assert "Traceback" not in await response.text()
    log = await served.log_after(mark)
    assert "Traceback" not in log
    assert "/slack/events" in log  # the access line


async def test_a_report_with_an_unknown_charset_is_a_400(served: Served) -> None:
    url = f"{served.url}/santo/reports/{REPORT_TOKEN}"
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url,
            data=b"command=RT_REQUEST&msgid=1&da=8613910825657&rsm=1|0|DELIVRD||",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=bogus"},
        ) as response,
    ):
        assert response.status == 400
        assert "malformed report" in await response.text()


async def _raw_request(url: str, request_line: bytes) -> bytes:
    """Send a request line aiohttp's client would refuse to build, and read the answer."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request_line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    return answer


@pytest.mark.parametrize(
    "query",
    [
        b"?command=RT_REQUEST&msgid=1&da=" + b"9" * 9000,  # over aiohttp's 8190-byte line limit
        b"?command=RT_REQUEST&msgid=1&da=\x01\x7f",  # characters no URL may hold
    ],
)
async def test_the_report_token_stays_out_of_the_log_when_aiohttp_refuses_a_request(
    served: Served, query: bytes
) -> None:
    mark = served.mark()
    answer = await _raw_request(
        served.url, b"GET /santo/reports/" + REPORT_TOKEN.encode() + query + b" HTTP/1.1"
    )
    assert answer.split(b" ")[1].startswith(b"4"), answer[:200]
    log = await served.log_after(mark)
    assert "/santo/reports/***" in log  # the line is there, masked
    assert REPORT_TOKEN not in log
    assert "Traceback" not in log


async def test_a_refused_report_post_logs_its_access_line_not_an_exception(served: Served) -> None:
    mark = served.mark()
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{served.url}/santo/reports/{REPORT_TOKEN}", data={"command": "RT_REQUEST"}
        ) as answer:
            assert answer.status == 400
        async with http.post(f"{served.url}/santo/reports/not-the-token", data={"a": "b"}) as answer:
            assert answer.status == 404
    log = await served.log_after(mark)
    assert "Unhandled exception" not in log and "Traceback" not in log
    assert log.count('"POST /santo/reports/*** HTTP/1.1" 400') == 1, log
    assert log.count('"POST /santo/reports/*** HTTP/1.1" 404') == 1, log
    assert REPORT_TOKEN not in log
