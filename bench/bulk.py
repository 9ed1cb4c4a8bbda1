"""Sends from a file against a slow platform: wall time against the ideal. Prints figures; not a test.

    .venv/bin/python -m bench.bulk [--numbers 10000] [--personalised 2000] [--latency 0.2]
                                   [--concurrency 4] [--rate R] [--database-url URL] [--profile FILE]

The web process is the real `python -m bot serve` in its own process (real database, the real
Send modal handlers); this process hosts the Slack stand-in and the sandbox platform, which
answers every request after `--latency` seconds. Each part is driven as a user drives it: a
signed `/sms`, the Send modal submitted with a CSV attached, the confirmation filled in, then
**Send** — the clock starts at that last submission and stops when the stored send leaves
Sending (its final state: every number's answer stored).

(a) `--numbers` numbers, one text: batches of 100 (MULTI_MT_REQUEST).
(b) `--personalised` numbers, each its own text (`{name}`, `{code}`): one MT_REQUEST per number.

After each part it also prints the time from the form with the file to its confirmation shown,
how long Send took to be acknowledged, the time the web process took to store the send's numbers
(from its log) and its peak RSS so far (VmHWM: reading, confirming and sending the file included).
SMS_MAX_RECIPIENTS and SMS_MAX_FILE_ROWS are set to the bigger part, so `--numbers 100000` goes.

The ideal of each is max(ceil(requests / SANTO_CONCURRENCY) × latency, requests / cap), the cap
being SANTO_MAX_REQUESTS_PER_SECOND (`--rate`, set explicitly: by default five times what the
concurrency can use, so that concurrency is the bound); the bound that applies is printed.
Target: wall time ≤ 1.15 × ideal.

`--profile FILE` runs the web process under cProfile (slower; the figures are then not
comparable) and writes the profile to FILE when it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from bench.load import proc_status
from bench.serve import CPID, CPPWD, SECRET, Served, print_log_errors, serve, start_stage
from bot.dev.sandbox import SandboxConfig, SandboxState
from bot.dev.slack_requests import SlackRequests
from bot.dev.slack_standin import SlackStandIn, ViewRecord
from bot.store.db import Database
from bot.views.ids import ActionId, BlockId, CallbackId

REPORT_TOKEN = "bench-report-token-b41k"
BATCH = 100
TARGET = 1.15
STORED = re.compile(r"send (\d+) stored: ([\d,]+) numbers in ([\d.]+) s")
"""The web process's log line for a stored send (`bot.store.sends.create_send`)."""


@dataclass
class Part:
    label: str
    numbers: list[str]
    csv: str
    message: str
    requests: int


def numbers(n: int, start: int) -> list[str]:
    return [f"86139{i:08d}" for i in range(start + 1, start + n + 1)]


def identical(n: int) -> Part:
    nums = numbers(n, 0)
    csv = "phone,name\n" + "\n".join(f"{number},x" for number in nums)
    return Part(f"{n:,} numbers, one text", nums, csv, "Your parcel is ready", math.ceil(n / BATCH))


def personalised(n: int) -> Part:
    nums = numbers(n, 50_000_000)
    csv = "phone,name,code\n" + "\n".join(f"{number},N{i},{100000 + i}" for i, number in enumerate(nums))
    return Part(f"{n:,} numbers, personalised", nums, csv, "Hi {name}, your code is {code}", n)


def form(file: dict[str, Any], message: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The Send modal's values as Slack submits them: a file, a message, SMS."""
    return {
        BlockId.RECIPIENTS: {ActionId.RECIPIENTS: {"type": "plain_text_input", "value": None}},
        BlockId.MESSAGE: {ActionId.MESSAGE: {"type": "plain_text_input", "value": message}},
        BlockId.KIND: {ActionId.KIND: {"type": "radio_buttons", "selected_option": {"value": "sms"}}},
        BlockId.LANG: {ActionId.LANG: {"type": "static_select", "selected_option": {"value": "zh-cn"}}},
        BlockId.SENDER: {ActionId.SENDER: {"type": "plain_text_input", "value": None}},
        BlockId.FILE: {ActionId.FILE: {"type": "file_input", "files": [file]}},
    }


async def confirmation(slack: SlackRequests, standin: SlackStandIn, part: Part) -> ViewRecord:
    """/sms → the Send modal → the form with the CSV → the filled-in confirmation."""
    opened = len(standin.calls_to("views.open"))
    status, body = await slack.command("")
    assert status == 200, (status, body)
    call = await standin.wait_for_call("views.open", count=opened + 1, timeout=30)
    view = standin.views[call.response["view"]["id"]]
    file = standin.add_user_file("list.csv", part.csv.encode())
    answer = await slack.submit_view(view, form(file, part.message))
    assert answer.get("response_action") == "push", answer
    external_id = answer["view"]["external_id"]

    def filled() -> ViewRecord | None:
        return next(
            (
                v
                for v in standin.views.values()
                if v.external_id == external_id and v.callback_id == CallbackId.CONFIRM
            ),
            None,
        )

    await standin.wait_for(lambda: filled() is not None, timeout=120, what="the confirmation")
    found = filled()
    assert found is not None
    return found


async def final_state(db: Database, after_id: int, limit: float) -> tuple[int, str, float]:
    """Poll until the newest send (id > after_id) has left Sending: (id, state, monotonic time)."""
    from sqlalchemy import select

    from bot.domain.states import SendState
    from bot.store.tables import Send

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        async with db.session() as session:
            row = (
                await session.execute(
                    select(Send.id, Send.state).where(Send.id > after_id).order_by(Send.id.desc()).limit(1)
                )
            ).first()
        if row is not None and row.state not in (SendState.SENDING, SendState.SCHEDULED):
            return int(row.id), str(row.state), time.monotonic()
        await asyncio.sleep(0.01)
    raise RuntimeError(f"the send did not finish within {limit:.0f} s")


async def statuses(db: Database, send_id: int) -> Counter[str]:
    from sqlalchemy import func, select

    from bot.store.tables import Recipient

    async with db.session() as session:
        rows = await session.execute(
            select(Recipient.status, func.count())
            .where(Recipient.send_id == send_id)
            .group_by(Recipient.status)
        )
        return Counter({status: count for status, count in rows.all()})


def stored_in(served: Served, send_id: int) -> float | None:
    """Seconds the web process took to store the send's numbers, as it logged them."""
    for line in served.log_path.read_text(errors="replace").splitlines():
        found = STORED.search(line)
        if found and int(found.group(1)) == send_id:
            return float(found.group(3))
    return None


def print_process(served: Served, send_id: int, numbers: int) -> None:
    """The store time of the send, and the web process's memory: peak (VmHWM) and now (VmRSS)."""
    seconds = stored_in(served, send_id)
    store = f"{seconds:.2f} s" if seconds is not None else "not logged"
    pid = served.process.pid
    print(
        f"    storing the {numbers:,} numbers: {store}; web process peak RSS so far "
        f"{proc_status(pid, 'VmHWM') / 1024:.1f} MiB (RSS now {proc_status(pid, 'VmRSS') / 1024:.1f} MiB)"
    )


async def run_part(
    name: str,
    part: Part,
    slack: SlackRequests,
    standin: SlackStandIn,
    sandbox: SandboxState,
    db: Database,
    served: Served,
    latency: float,
    concurrency: int,
    rate: float,
) -> float:
    from sqlalchemy import func, select

    from bot.store.tables import Send

    async with db.session() as session:
        last_id = int(await session.scalar(select(func.coalesce(func.max(Send.id), 0))) or 0)
    shown = time.monotonic()
    view = await confirmation(slack, standin, part)
    shown = time.monotonic() - shown
    before = set(sandbox.messages)
    wall0 = time.time()
    started = time.monotonic()
    answer = await slack.submit_view(view, {})
    acked = time.monotonic() - started
    assert answer.get("response_action") == "update", answer
    send_id, state, finished = await final_state(db, last_id, limit=3600)
    elapsed = finished - started
    new = [m for msgid, m in sandbox.messages.items() if msgid not in before]
    sent: Counter[str] = Counter(n for m in new for n in m.recipients)
    arrivals = sorted(m.accepted_at for m in new)  # the sandbox accepts at once, answers `latency` later
    answers = [at + latency for at in arrivals]

    by_concurrency = math.ceil(part.requests / concurrency) * latency
    by_rate = part.requests / rate
    ideal = max(by_concurrency, by_rate)
    bound = "concurrency" if by_concurrency >= by_rate else "rate cap"
    print()
    print(
        f"({name}) {part.label}: {part.requests:,} requests "
        f"({'MULTI_MT_REQUEST, ≤100 numbers each' if part.requests < len(part.numbers) else 'MT_REQUEST'})"
    )
    print(
        f"    ideal = max(ceil({part.requests:,} / {concurrency}) × {latency:.3f} s = {by_concurrency:.2f} s,"
        f" "
        f"{part.requests:,} / {rate:g}/s = {by_rate:.2f} s) = {ideal:.2f} s — {bound} is the bound"
    )
    print(
        f"    wall time, Send → send {state}: {elapsed:.2f} s = {elapsed / ideal:.3f} × ideal "
        f"(target ≤ {TARGET})"
    )
    if arrivals:
        print(
            f"    Send → first request at the platform {arrivals[0] - wall0:.2f} s; first → last request "
            f"{arrivals[-1] - arrivals[0]:.2f} s; last answer → final state "
            f"{wall0 + elapsed - answers[-1]:.2f} s"
        )
    counts = await statuses(db, send_id)
    once = len(sent) == len(part.numbers) and set(sent.values()) == {1} and set(sent) == set(part.numbers)
    print(
        f"    platform requests {len(new):,}, numbers {sum(sent.values()):,} "
        f"({'each exactly once' if once else '!! NOT each exactly once'}); stored statuses "
        + ", ".join(f"{status} {count:,}" for status, count in sorted(counts.items()))
    )
    print(
        f"    the form with the file → its confirmation shown: {shown:.2f} s; Send acknowledged in "
        f"{acked * 1000:.0f} ms (Slack allows 3 s)"
    )
    print_process(served, send_id, len(part.numbers))
    return elapsed / ideal


async def main(args: argparse.Namespace) -> None:
    began = time.monotonic()
    parts = [("a", identical(args.numbers)), ("b", personalised(args.personalised))]
    async with AsyncExitStack() as stack:
        config = SandboxConfig(
            latency=args.latency, report_delay=3600, balance=10_000_000, accounts={CPID: CPPWD}
        )
        stage = await start_stage(stack, "bench-bulk-", args.database_url, config)
        print("Santo for Slack: bulk sends from a file (figures only; nothing is asserted)")
        print(
            f"setup: web process = `python -m bot serve` subprocess; sandbox platform answering each "
            f"request after {args.latency * 1000:.0f} ms; SANTO_CONCURRENCY={args.concurrency}, "
            f"SANTO_MAX_REQUESTS_PER_SECOND={args.rate:g}; database "
            f"{'PostgreSQL' if args.database_url else 'SQLite (temp dir, WAL)'}; {os.cpu_count()} CPUs; "
            f"load average {os.getloadavg()[0]:.2f} at start"
        )
        most = str(max(args.numbers, args.personalised))
        async with serve(
            stage,
            REPORT_TOKEN,
            args.profile,
            SMS_MAX_RECIPIENTS=most,
            SMS_MAX_FILE_ROWS=most,
            SANTO_CONCURRENCY=str(args.concurrency),
            SANTO_MAX_REQUESTS_PER_SECOND=str(args.rate),
            SANTO_TIMEOUT=str(max(20.0, 10 * args.latency)),
        ) as served:
            slack = SlackRequests(served.base, SECRET, stage.standin)
            stack.push_async_callback(slack.close)
            await slack.command("help")  # warm up: Bolt's first request calls auth.test
            rss = proc_status(served.process.pid, "VmRSS") / 1024
            print(f"web process RSS before the first part: {rss:.1f} MiB")
            for name, part in parts:
                if name in args.parts:
                    await run_part(
                        name,
                        part,
                        slack,
                        stage.standin,
                        stage.sandbox,
                        stage.db,
                        served,
                        args.latency,
                        args.concurrency,
                        args.rate,
                    )
        print_log_errors(served.log_path)
        print(f"\nwhole run: {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--numbers", type=int, default=10_000, help="numbers of (a), one text")
    parser.add_argument("--personalised", type=int, default=2_000, help="numbers of (b), each its own text")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the sandbox takes per request")
    parser.add_argument("--concurrency", type=int, default=4, help="SANTO_CONCURRENCY")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="SANTO_MAX_REQUESTS_PER_SECOND (default 5 × concurrency / latency: concurrency is the bound)",
    )
    parser.add_argument("--parts", default="ab", help="which parts to run: a, b or ab")
    parser.add_argument("--database-url", default=None, help="postgresql://… (a scratch database is made)")
    parser.add_argument("--profile", default=None, help="run the web process under cProfile, write here")
    arguments = parser.parse_args()
    if arguments.rate is None:
        arguments.rate = round(5 * arguments.concurrency / arguments.latency)
    if arguments.profile:
        arguments.profile = os.path.abspath(arguments.profile)
    asyncio.run(main(arguments))
