"""A send's results downloaded as a file: time and the web process's peak memory. Prints figures;
not a test.

    .venv/bin/python -m bench.export [--numbers 100000] [--format csv|xlsx] [--database-url URL]

This process hosts the Slack stand-in and the sandbox, and stores a send of `--numbers` numbers
as the send pipeline would (accepted; 70 % Delivered, 20 % Failed, 10 % still Pending), before
the web process starts. The web process is the real `python -m bot serve`; the clock starts at
the signed click on the send's Download button and stops when the file's upload is complete.
Peak memory is VmHWM of the web process, read before the click and after the upload.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from contextlib import AsyncExitStack

from bench.load import proc_status
from bench.serve import BOT_TOKEN, CPID, CPPWD, SECRET, Stage, print_log_errors, serve, start_stage
from bot.dev.sandbox import SandboxConfig

REPORT_TOKEN = "bench-report-token-exp0"
CHANNEL = "C0GENERAL"


async def stored_send(stage: Stage, size: int) -> tuple[int, str]:
    """The send, its numbers' outcomes mixed as reports would leave them: (id, message ts)."""
    from slack_sdk.web.async_client import AsyncWebClient
    from sqlalchemy import update

    from bot.dev.stored_sends import store_sms
    from bot.domain.states import NumberStatus, SendState
    from bot.store.db import now
    from bot.store.tables import Recipient, Send

    slack = AsyncWebClient(token=BOT_TOKEN, base_url=stage.standin.api_url())
    posted = await slack.chat_postMessage(channel=CHANNEL, text="…")
    ts = str(posted["ts"])
    numbers = [f"86139{i:08d}" for i in range(1, size + 1)]
    send_id = await store_sms(stage.db, numbers, ts, team_id=stage.standin.team_id, channel_id=CHANNEL)
    tenth = Recipient.id % 10
    async with stage.db.session.begin() as session:
        await session.execute(update(Send).where(Send.id == send_id).values(state=SendState.ACCEPTED))
        for status, code, where in (
            (NumberStatus.DELIVERED, "DELIVRD", tenth < 7),
            (NumberStatus.FAILED, "401", tenth.in_([7, 8])),
            (NumberStatus.PENDING, None, tenth == 9),
        ):
            await session.execute(
                update(Recipient)
                .where(Recipient.send_id == send_id, where)
                .values(status=status, code=code, msgid=f"m{send_id}", updated_at=now())
            )
    return send_id, ts


async def main(args: argparse.Namespace) -> None:
    from bot.dev.slack_requests import SlackRequests
    from bot.views.ids import ActionId

    action = ActionId.EXPORT_XLSX if args.format == "xlsx" else ActionId.EXPORT_CSV
    async with AsyncExitStack() as stack:
        config = SandboxConfig(report_delay=3600, accounts={CPID: CPPWD})
        stage = await start_stage(stack, "bench-export-", args.database_url, config)
        began = time.monotonic()
        send_id, ts = await stored_send(stage, args.numbers)
        print("Santo for Slack: a send's results as a file (figures only; nothing is asserted)")
        print(
            f"setup: {args.numbers:,} numbers stored in {time.monotonic() - began:.1f} s; "
            f"database {'PostgreSQL' if args.database_url else 'SQLite (temp dir, WAL)'}; "
            f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}"
        )
        async with serve(stage, REPORT_TOKEN, None) as served:
            slack = SlackRequests(served.base, SECRET, stage.standin)
            stack.push_async_callback(slack.close)
            await slack.command("help")  # warm up: Bolt's first request calls auth.test
            await stage.standin.wait_for(lambda: bool(stage.standin.responses), timeout=30)
            pid = served.process.pid
            before = proc_status(pid, "VmHWM")
            started = time.monotonic()
            status, body = await slack.click(action, str(send_id), message_ts=ts)
            assert status == 200, body
            await stage.standin.wait_for(
                lambda: any(u.completed for u in stage.standin.uploads), timeout=1800, what="the upload"
            )
            elapsed = time.monotonic() - started
            after = proc_status(pid, "VmHWM")
            upload = next(u for u in stage.standin.uploads if u.completed)
            size = len(upload.content or b"")
        print(
            f"{args.format.upper()} of {args.numbers:,} numbers: {elapsed:.2f} s from the click to the "
            f"upload complete; file {size / 1024 / 1024:.1f} MiB"
        )
        print(
            f"web process peak RSS (VmHWM): {before / 1024:.1f} MiB before the click, "
            f"{after / 1024:.1f} MiB after (+{(after - before) / 1024:.1f} MiB)"
        )
        print_log_errors(served.log_path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--numbers", type=int, default=100_000, help="numbers in the send")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--database-url", default=None, help="postgresql://… (a scratch database is made)")
    asyncio.run(main(parser.parse_args()))
