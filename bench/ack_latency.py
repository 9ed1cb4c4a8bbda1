"""Time from a signed slash command's arrival to its HTTP 200, with the platform slowed down.

    .venv/bin/python -m bench.ack_latency [--requests 300] [--platform-latency 2.5]

Prints p50/p99; Slack's own limit is 3 s and our target is p99 < 25 ms. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

from bench.serve import BOT_TOKEN, SECRET
from bot.dev.sandbox import SandboxConfig, create_sandbox_app
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import SlackStandIn
from bot.services import SERVICES
from bot.settings import load_settings
from bot.web import create_web_app
from bot.webserver import running


async def main(requests: int, latency: float, concurrency: int) -> None:
    async with AsyncExitStack() as stack:
        standin = SlackStandIn(token=BOT_TOKEN)
        standin.base_url = await stack.enter_async_context(running(standin.app()))
        sandbox_url = await stack.enter_async_context(
            running(create_sandbox_app(SandboxConfig(latency=latency, report_delay=3600)))
        )
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        settings = load_settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=standin.api_url(),
            santo_base_url=sandbox_url,
            santo_cpid="Test101",
            santo_cppwd="Test101",
            database_url=f"sqlite:///{folder / 'bench.db'}",
        )
        app = create_web_app(settings)
        await app[SERVICES].db.migrate()
        url = await stack.enter_async_context(running(app))
        slack = SlackRequests(url, SECRET, standin)
        stack.push_async_callback(slack.close)
        texts = ["balance", "price japan", "send 8613910825657 bench", "verify +8613910825657"]
        await slack.command("help")  # warm up: Bolt's first request calls auth.test
        timings: list[float] = []
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                started = time.perf_counter()
                status, _ = await slack.command(texts[i % len(texts)])
                timings.append(time.perf_counter() - started)
                assert status == 200

        await asyncio.gather(*(one(i) for i in range(requests)))
        timings.sort()
        p50 = statistics.median(timings) * 1000
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1000
        print(f"slash commands: {requests}, concurrency {concurrency}, platform latency {latency:.1f} s")
        print(f"ack latency p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 < 25 ms; Slack allows 3000 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--platform-latency", type=float, default=2.5)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.platform_latency, args.concurrency))
