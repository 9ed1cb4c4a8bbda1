"""`python -m bot serve` as a real process: it serves, and SIGTERM lets work in flight finish."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bot.dev.local_server import free_port, wait_until_serving
from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, create_sandbox_app
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import SlackStandIn
from tests.conftest import Serve
from tests.e2e.conftest import (
    BOT_TOKEN,
    CHANNEL,
    CPID,
    PASSWORD,
    REPORT_TOKEN,
    SIGNING_SECRET,
    blocks_text,
    serve_env,
)


async def test_sigterm_finishes_a_send_in_flight(serve: Serve, database_url: str) -> None:
    standin = SlackStandIn(token=BOT_TOKEN)
    standin.base_url = await serve(standin.app())
    sandbox_app = create_sandbox_app(SandboxConfig(accounts={CPID: PASSWORD}, latency=1.0, report_delay=3600))
    sandbox_url = await serve(sandbox_app)
    port = free_port()
    env = serve_env(
        standin,
        sandbox_url,
        database_url,
        {
            "PORT": str(port),
        },
    )
    migrate = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "migrate", env=env)
    assert await migrate.wait() == 0
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env, stderr=asyncio.subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    slack = SlackRequests(url, SIGNING_SECRET, standin)
    try:
        await wait_until_serving(url, process)
        await slack.command("price CN")  # prices cached, so the send's only slow call is the submit
        await standin.wait_for(lambda: bool(standin.responses))
        status, _ = await slack.command("send 8613910825657 hello")
        assert status == 200
        await standin.wait_for(lambda: bool(standin.calls_to("chat.postMessage")), what="the channel message")
        process.send_signal(signal.SIGTERM)  # the submit is still waiting on the slow platform
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
    finally:
        await slack.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
    message = standin.last_message(CHANNEL)
    assert message is not None and "Accepted" in blocks_text(message.blocks)
    assert len(sandbox_app[SANDBOX_STATE].messages) == 1


async def test_json_logs_one_object_a_line_about_the_send_and_no_secret(serve: Serve, tmp_path: Path) -> None:
    standin = SlackStandIn(token=BOT_TOKEN)
    standin.base_url = await serve(standin.app())
    sandbox_url = await serve(create_sandbox_app(SandboxConfig(accounts={CPID: PASSWORD}, report_delay=3600)))
    port = free_port()
    env = serve_env(
        standin,
        sandbox_url,
        f"sqlite:///{tmp_path / 'santo.db'}",
        {"PORT": str(port), "LOG_FORMAT": "json", "SANTO_REPORT_TOKEN": REPORT_TOKEN},
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env, stderr=asyncio.subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    slack = SlackRequests(url, SIGNING_SECRET, standin)
    try:
        await wait_until_serving(url, process)
        await slack.command("send 8613910825657 hello")
        await standin.wait_for(lambda: "Accepted" in blocks_text(_last_blocks(standin)), what="the send")
        async with aiohttp.ClientSession() as http:  # a callback quoting the password, then one refused
            async with http.get(f"{url}/santo/reports/{REPORT_TOKEN}?command=MO_X&cppwd={PASSWORD}") as answer:
                assert answer.status == 200
            async with http.get(f"{url}/santo/reports/{REPORT_TOKEN}?command=RT_REQUEST") as answer:
                assert answer.status == 400
    finally:
        await slack.close()
        process.send_signal(signal.SIGTERM)
        assert process.stderr is not None
        log = (await process.stderr.read()).decode()
        await process.wait()
    lines = [json.loads(line) for line in log.splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    [submit] = [line for line in lines if line["message"].startswith("submit MT_REQUEST")]
    assert submit["workspace"] == "T0TEST" and isinstance(submit["send_id"], int)
    assert submit["msgid"] and submit["msgid"] in submit["message"]
    assert any("cppwd=***" in line["message"] for line in lines)
    assert any('"GET /santo/reports/***?command=RT_REQUEST HTTP/1.1" 400' in line["message"] for line in lines)
    assert PASSWORD not in log and REPORT_TOKEN not in log


def _last_blocks(standin: SlackStandIn) -> list[dict[str, Any]] | None:
    message = standin.last_message(CHANNEL)
    return message.blocks if message is not None else None


async def test_readyz_names_the_database_it_cannot_reach_and_nothing_secret(serve: Serve) -> None:
    standin = SlackStandIn(token=BOT_TOKEN)
    standin.base_url = await serve(standin.app())
    sandbox_url = await serve(create_sandbox_app(SandboxConfig(accounts={CPID: PASSWORD})))
    port, nowhere = free_port(), free_port()
    database_url = f"postgres://santo:db-pw-77c1@127.0.0.1:{nowhere}/santo"  # nothing listens there
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        env=serve_env(standin, sandbox_url, database_url, {"PORT": str(port)}),
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_serving(url, process)  # /healthz: it serves
        async with aiohttp.ClientSession() as http, http.get(url + "/readyz") as answer:
            assert answer.status == 503
            body = await answer.text()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=25)
    ready = json.loads(body)
    assert ready["ready"] is False and ready["failed"] == ["database"]
    assert ready["checks"]["database"].startswith("unreachable (")
    assert "db-pw-77c1" not in body and "santo:" not in body and str(nowhere) not in body
