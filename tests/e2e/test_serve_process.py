"""`python -m bot serve` as a real process: it serves, and SIGTERM lets work in flight finish."""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.dev.local_server import free_port, wait_until_serving
from bot.dev.sandbox import SANDBOX_STATE, SandboxConfig, create_sandbox_app
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import SlackStandIn
from tests.conftest import Serve
from tests.e2e.conftest import BOT_TOKEN, CHANNEL, CPID, PASSWORD, SIGNING_SECRET, blocks_text, serve_env


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
