"""Delivery-report intake and how fast reports show up in Slack. Prints figures; not a test.

    .venv/bin/python -m bench.reports [--reports 10000] [--rounds 5] [--database-url URL] [--concurrency 64]
    .venv/bin/python -m bench.reports --processes 2 --database-url URL   (see bench/reports_scale.py)

Default database: SQLite in a temporary folder. With `--database-url postgresql://…` a scratch
database is created next to the one named, used, and dropped at the end.

Setup (fair on a 2-core machine): the web process under test is the real `python -m bot serve`
in its own process (real DB, group commit, notifier); the bare route is another subprocess
(`python -m bench.reports --bare-server PORT`); the load generator is a third process (spawned
with multiprocessing). This process only hosts the Slack stand-in and the sandbox platform, and
writes the stored sends the reports refer to.

(a) reports/s answered 200 by the real report route vs. the bare route (closed loop, fixed
    number of concurrent workers, each request a distinct (msgid, da) of a stored send). Other
    work on a shared machine moves these figures, so the two alternate: `--rounds` stored runs,
    each between two bare runs (the bare one after it starts once the notifier has shown the
    stored run); each round's ratio uses the mean of its two bare runs, and the figure is the
    median round. The load average at the start is printed.
    Also printed: the group commit's batches, read back from `reports.received_at` (one value
    per commit).
(b) Slack Web API calls (chat.update + chat.postMessage) per report for a 1,000-number send
    whose 1,000 reports are spread evenly over 4 s.
(c) time from each report's HTTP 200 to its number being counted in the Slack message.
(d) peak RSS (VmHWM) of the web process.

`--profile FILE` runs the web process under cProfile (slows it down; the figures are then not
comparable) and writes the profile to FILE when it stops. `--py-spy FILE` samples the web process
with py-spy (from the venv or PATH) during (a)'s first stored run only: the stacks of the thread holding
the GIL, one per line with the thread's name (py-spy's raw format; it slows the process a little).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bench.load import bare_server, closed_loop, cpu_seconds, paced, proc_status, sampled
from bench.serve import (
    BOT_TOKEN,
    CPID,
    CPPWD,
    print_log_errors,
    serve,
    start_stage,
    subprocess_server,
)

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.dev.slack_standin import Message, SlackStandIn
    from bot.store.db import Database

REPORT_TOKEN = "bench-report-token-7c1e"
SEND_SIZE = 1000
BATCH = 100  # numbers per msgid, as the platform client submits them
WARMUP = 300
SPREAD = 4.0  # seconds over which (b)'s 1,000 reports arrive
FAIL_EVERY = 20  # every 20th report is a failure (code 402)
TEAM_A, CHANNEL_A = "T0BENCHA", "C0RANDOM"  # (a)'s sends: own rate-limit buckets
TEAM_B, CHANNEL_B = "T0BENCHB", "C0GENERAL"  # (b)'s send
COUNTED = ("chat.update", "chat.postMessage")

HEADER = """\
Santo for Slack: delivery-report benchmark (figures only; nothing is asserted)
  (a) reports/s answered 200 by GET /santo/reports/{token} with durable storage (real app, real DB,
      group commit) vs. a bare aiohttp route answering 200 without storage; same closed-loop
      generator; ratio target >= 0.5
  (b) Slack Web API calls (chat.update + chat.postMessage) per report, 1,000-number send whose
      reports arrive evenly over ~4 s, from the first report until the message shows the final
      counts; target <= 0.02
  (c) time from a report's HTTP 200 to the message's Delivered+Failed count covering it (first
      update whose count >= reports acknowledged so far); median target <= 1.5 s, p90 shown
  (d) peak RSS of the web process (VmHWM from /proc/<pid>/status, sampled at the end)"""


# --------------------------------------------------------------------------- helpers


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report_url(base: str, msgid: str, number: str, failed: bool) -> str:
    rsm = f"{msgid}|400|402||" if failed else f"{msgid}|0|DELIVRD||"
    query = urlencode({"command": "RT_REQUEST", "msgid": msgid, "da": number, "rsm": rsm})
    return f"{base}/santo/reports/{REPORT_TOKEN}?{query}"


_COUNT = re.compile(r"\*(Delivered|Failed|Pending)\* ([\d,]+)")


def shown_counts(blocks: list[dict[str, Any]]) -> dict[str, int]:
    """Counts as rendered in the channel message's section texts."""
    counts: dict[str, int] = {}
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and isinstance(text.get("text"), str):
            for word, number in _COUNT.findall(text["text"]):
                counts[word] = int(number.replace(",", ""))
    return counts


# --------------------------------------------------------------------------- stored sends


async def stored_send(
    db: Any, slack: Any, team: str, channel: str, index: int
) -> tuple[int, str, list[tuple[str, str]]]:
    """A 1,000-number send as the send pipeline stores it: channel message, numbers, one msgid per
    batch of 100, accepted. Returns (send id, message ts, [(msgid, number)])."""
    from bot.dev.stored_sends import accept, store_sms
    from bot.store.sends import finish_send

    # China mobile numbers 130… to 139…: distinct and valid for up to 1,000 sends
    numbers = tuple(f"8613{index:03d}{i:06d}" for i in range(SEND_SIZE))
    posted = await slack.chat_postMessage(channel=channel, text="…")
    send_id = await store_sms(db, numbers, str(posted["ts"]), text="bench", team_id=team, channel_id=channel)
    pairs: list[tuple[str, str]] = []
    prefix = uuid.uuid4().hex[:10]
    for start in range(0, SEND_SIZE, BATCH):
        msgid = f"{prefix}{index:02d}{start // BATCH:02d}"
        batch = numbers[start : start + BATCH]
        await accept(db, send_id, msgid, batch)
        pairs += [(msgid, number) for number in batch]
    await finish_send(db, send_id)
    return send_id, str(posted["ts"]), pairs


async def wait_quiet(db: Any, limit: float = 60.0) -> float:
    """Wait until no send has changes left to show; returns the seconds waited."""
    from bot.store.changes import unshown

    started = time.monotonic()
    while time.monotonic() - started < limit:
        async with db.session() as session:
            dirty = (await session.execute(unshown())).one()[0]
        if not dirty:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise RuntimeError(f"sends still dirty after {limit:.0f} s")


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Server:
    """A server process under load: its id and base URL."""

    pid: int
    base: str


@dataclass
class Throughput:
    """(a): the bare runs around the stored ones, the notifier's time to settle after each stored
    run, and what the database holds afterwards."""

    bare_runs: list[dict[str, Any]]
    real_runs: list[dict[str, Any]]
    settles: list[float]
    stored: int
    batches: list[tuple[datetime, int]]
    bare_hwm: int


@dataclass
class Paced:
    """(b)/(c): the paced run, where the Slack calls after it start, and the message it updated."""

    run: dict[str, Any]
    failed: int
    calls_before: int
    message: Message
    final_at: float


async def store_sends(
    db: Database, slack: AsyncWebClient, n: int, rounds: int
) -> tuple[list[list[tuple[str, str]]], str, list[tuple[str, str]]]:
    """(a) needs WARMUP + n distinct (msgid, number) a round; (b) one 1,000-number send.
    Returns (a)'s pairs by round, (b)'s message ts and its pairs."""
    pairs_a: list[tuple[str, str]] = []
    index = 0
    while len(pairs_a) < (WARMUP + n) * rounds:
        pairs_a += (await stored_send(db, slack, TEAM_A, CHANNEL_A, index))[2]
        index += 1
    _send_b, ts_b, pairs_b = await stored_send(db, slack, TEAM_B, CHANNEL_B, index)
    per_round = [pairs_a[r * (WARMUP + n) : (r + 1) * (WARMUP + n)] for r in range(rounds)]
    return per_round, ts_b, pairs_b


async def closed(
    executor: Executor,
    servers: Sequence[Server],
    pairs: list[tuple[str, str]],
    concurrency: int,
    sample: str | None = None,
) -> dict[str, Any]:
    """One closed-loop run against `servers` (round-robin over them, as a PaaS router spreads
    requests over dynos), with the CPU time the servers took together."""
    urls = [
        report_url(servers[i % len(servers)].base, m, num, i % FAIL_EVERY == 0)
        for i, (m, num) in enumerate(pairs)
    ]
    async with sampled(servers[0].pid, sample):
        cpu = sum(cpu_seconds(server.pid) for server in servers)
        run: dict[str, Any] = await asyncio.get_running_loop().run_in_executor(
            executor, closed_loop, urls[WARMUP:], urls[:WARMUP], concurrency
        )
        run["server_cpu"] = sum(cpu_seconds(server.pid) for server in servers) - cpu
    return run


async def measure_throughput(
    executor: Executor,
    db: Database,
    bare: Server,
    real: Server,
    per_round: list[list[tuple[str, str]]],
    concurrency: int,
    pyspy: str | None,
) -> Throughput:
    """(a): a bare run, then each round's stored run followed by a bare run."""
    from sqlalchemy import func, select

    from bot.store.tables import Report

    bare_runs = [await closed(executor, [bare], per_round[0], concurrency)]
    real_runs: list[dict[str, Any]] = []
    settles: list[float] = []
    for r, pairs in enumerate(per_round):
        real_runs.append(await closed(executor, [real], pairs, concurrency, pyspy if r == 0 else None))
        # The notifier shows what the stored run changed; the bare route is measured after
        # that, not while the web process and the Slack stand-in still use the CPU for it.
        settles.append(await wait_quiet(db))
        bare_runs.append(await closed(executor, [bare], pairs, concurrency))
    bare_hwm = proc_status(bare.pid, "VmHWM")
    async with db.session() as session:
        stored = await session.scalar(select(func.count()).select_from(Report))
        batches = (
            await session.execute(
                select(Report.received_at, func.count())
                .group_by(Report.received_at)
                .order_by(Report.received_at)
            )
        ).all()
    return Throughput(
        bare_runs, real_runs, settles, int(stored or 0), [(at, count) for at, count in batches], bare_hwm
    )


async def measure_paced(
    executor: Executor,
    db: Database,
    standin: SlackStandIn,
    bases: Sequence[str],
    ts_b: str,
    pairs_b: list[tuple[str, str]],
) -> Paced:
    """(b)/(c): the 1,000-number send's reports spread over SPREAD seconds (round-robin over the
    web processes at `bases`), until the message shows the final counts."""
    await wait_quiet(db)
    await asyncio.sleep(1.2)  # past the notifier's per-send gap and refilled buckets
    before = len(standin.calls)
    failed_b = {i for i in range(SEND_SIZE) if i % FAIL_EVERY == 0}
    urls_b = [report_url(bases[i % len(bases)], m, num, i in failed_b) for i, (m, num) in enumerate(pairs_b)]
    final = {"Delivered": SEND_SIZE - len(failed_b), "Failed": len(failed_b), "Pending": 0}
    paced_run = await asyncio.get_running_loop().run_in_executor(executor, paced, urls_b, SPREAD)

    def message_final() -> bool:
        message = standin.messages[(CHANNEL_B, ts_b)]
        return shown_counts(message.blocks) == final

    try:
        await standin.wait_for(message_final, timeout=30, what="the final counts")
    except Exception as exc:  # report what we have rather than nothing
        print(f"!! the message did not show the final counts: {exc}")
    message = standin.messages[(CHANNEL_B, ts_b)]
    return Paced(paced_run, len(failed_b), before, message, message.at)


def database_name(database_url: str | None) -> str:
    return "PostgreSQL" if database_url else "SQLite"


def print_setup(database_url: str | None) -> None:
    """What is measured, and on what."""
    print(HEADER)
    db_name = "PostgreSQL" if database_url else "SQLite (temp dir, WAL; report commits synced to disk)"
    print(
        f"setup: web process = `python -m bot serve` subprocess; bare route = subprocess; load "
        f"generator = separate process; database {db_name}; {os.cpu_count()} CPUs; load average "
        f"{os.getloadavg()[0]:.2f} at start (other work on the machine skews the figures)"
    )


def rate(run: dict[str, Any]) -> float:
    """Reports answered 200 a second in a closed-loop run."""
    return float(run["statuses"].get(200, 0) / run["elapsed"])


def cpu_per_report(run: dict[str, Any]) -> float:
    """Server CPU seconds per request answered 200."""
    return float(run["server_cpu"] / max(1, run["statuses"].get(200, 0)))


def print_run(name: str, run: dict[str, Any]) -> None:
    """One closed-loop run of (a), on one line."""
    others = {k: v for k, v in run["statuses"].items() if k != 200}
    print(
        f"    {name}: {rate(run):6.0f} reports/s answered 200 ({run['elapsed']:.2f} s; server CPU "
        f"{100 * run['server_cpu'] / run['elapsed']:.0f}% of a core, "
        f"{1e6 * cpu_per_report(run):.0f} µs a report; generator "
        f"{100 * run['cpu'] / run['elapsed']:.0f}%)" + (f"; other answers {others}" if others else "")
    )


def print_throughput(a: Throughput, n: int, concurrency: int, rounds: int, database: str) -> None:
    """(a): each run, both ratios by round and their medians, the group commit's batches."""
    ratios = [
        rate(real) / statistics.mean((rate(a.bare_runs[r]), rate(a.bare_runs[r + 1])))
        for r, real in enumerate(a.real_runs)
    ]
    cpu_ratios = [
        cpu_per_report(real)
        / statistics.mean((cpu_per_report(a.bare_runs[r]), cpu_per_report(a.bare_runs[r + 1])))
        for r, real in enumerate(a.real_runs)
    ]
    print()
    print(
        f"(a) {n} report callbacks a run (GET, distinct msgid+da, 1 in {FAIL_EVERY} failed), "
        f"{concurrency} workers, after {WARMUP} warm-up requests;"
    )
    print(
        f"    {rounds} stored runs, each between two bare runs (the one after it waits for the "
        f"notifier: {', '.join(f'{s:.1f}' for s in a.settles)} s)"
    )
    print_run("bare route         ", a.bare_runs[0])
    for r, real in enumerate(a.real_runs):
        print_run("real route, stored ", real)
        print_run("bare route         ", a.bare_runs[r + 1])
    print(
        f"    [{database}] ratio stored / bare by round: {', '.join(f'{x:.2f}' for x in ratios)}; "
        f"median {statistics.median(ratios):.2f} (target >= 0.5)"
    )
    print(
        f"    [{database}] server CPU per stored report / per bare request by round: "
        f"{', '.join(f'{x:.2f}' for x in cpu_ratios)}; median {statistics.median(cpu_ratios):.2f} "
        "(target <= 2)"
    )
    print(f"    reports in the database afterwards: {a.stored} (expected {(WARMUP + n) * rounds})")
    sizes = [count for _at, count in a.batches]
    gaps = [(y[0] - x[0]).total_seconds() * 1000 for x, y in itertools.pairwise(a.batches)]
    if gaps:
        print(
            f"    group commit (from reports.received_at): {len(sizes)} batches, mean "
            f"{statistics.mean(sizes):.1f} reports/batch (max {max(sizes)}), median "
            f"{statistics.median(gaps):.1f} ms between batch starts"
        )


def acknowledged(b: Paced) -> list[float]:
    """When each report answered 200 arrived, in order."""
    results: list[tuple[int, float]] = b.run["results"]
    return sorted(t for status, t in results if status == 200)


def print_calls(b: Paced, standin: SlackStandIn) -> None:
    """(b): the Slack calls from the first report until the final counts showed."""
    started = float(b.run["started"])
    calls = standin.calls[b.calls_before :]
    window = [c for c in calls if c.method in COUNTED and started <= c.at <= b.final_at]
    after = [c for c in calls if c.method in COUNTED and c.at > b.final_at]
    kinds = Counter(c.method for c in window)
    acked = acknowledged(b)
    print()
    print(
        f"(b) 1,000-number send, {SEND_SIZE - b.failed} delivered + {b.failed} failed, "
        f"reports spread over {SPREAD:.0f} s (last 200 at +{acked[-1] - started:.2f} s, "
        f"final counts shown at +{b.final_at - started:.2f} s)"
    )
    print(
        f"    Slack calls until final counts: {len(window)} ({kinds['chat.update']} chat.update, "
        f"{kinds['chat.postMessage']} chat.postMessage) = {len(window) / SEND_SIZE:.3f} calls/report "
        f"(target <= 0.02); {len(after)} more after that (thread replies)"
    )
    if len(acked) != SEND_SIZE:
        print(f"    !! only {len(acked)} of {SEND_SIZE} reports were answered 200")


def print_visibility(b: Paced) -> None:
    """(c): how long after its 200 each report was counted in the message."""
    started = float(b.run["started"])
    message = b.message
    states = [(v.at, shown_counts(v.blocks)) for v in message.history] + [
        (message.at, shown_counts(message.blocks))
    ]
    shown = [(at, c.get("Delivered", 0) + c.get("Failed", 0)) for at, c in states if at >= started]
    delays: list[float] = []
    early = 0
    for k, t200 in enumerate(acknowledged(b), start=1):
        visible = next((at for at, count in shown if count >= k), None)
        if visible is None:
            continue
        if visible < t200:
            early += 1
        delays.append(max(0.0, visible - t200))
    print()
    if delays:
        print(
            f"(c) 200 -> visible in Slack over {len(delays)} reports: median "
            f"{statistics.median(delays):.2f} s, p90 {percentile(delays, 0.9):.2f} s, max "
            f"{max(delays):.2f} s (target median <= 1.5 s); {len(shown)} message versions"
            + (f"; {early} counted 0 (shown before their 200 arrived)" if early else "")
        )
    else:
        print("(c) no report became visible")
    print("    updates (s after first report: Delivered+Failed shown):")
    print("     " + ", ".join(f"+{at - started:.2f}: {count}" for at, count in shown))


def print_memory(hwm: int, rss_start: int, rss: int, bare_hwm: int) -> None:
    """(d), in kB read from /proc."""
    print()
    print(
        f"(d) web process peak RSS (VmHWM at the end): {hwm / 1024:.1f} MiB "
        f"(RSS {rss_start / 1024:.1f} MiB before the first report, {rss / 1024:.1f} MiB at the end; "
        f"bare route process peak {bare_hwm / 1024:.1f} MiB)"
    )


async def main(
    n: int,
    database_url: str | None,
    concurrency: int,
    profile: str | None,
    pyspy: str | None = None,
    rounds: int = 3,
) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.dev.local_server import free_port
    from bot.dev.sandbox import SandboxConfig

    began = time.monotonic()
    spawn = multiprocessing.get_context("spawn")
    async with AsyncExitStack() as stack:
        config = SandboxConfig(report_delay=3600, accounts={CPID: CPPWD})
        stage = await start_stage(stack, "bench-reports-", database_url, config)
        db, standin = stage.db, stage.standin
        slack = AsyncWebClient(token=BOT_TOKEN, base_url=standin.api_url())
        executor = stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=spawn))
        await asyncio.get_running_loop().run_in_executor(executor, time.time)  # start the generator now
        per_round, ts_b, pairs_b = await store_sends(db, slack, n, rounds)
        print_setup(database_url)

        # The bare route and the real web process, both up for the whole of (a): the bare route is
        # measured before and after the real one, to see how much the machine's load moved.
        bare_port = free_port()
        bare_base = f"http://127.0.0.1:{bare_port}"
        argv_bare = [sys.executable, "-m", "bench.reports", "--bare-server", str(bare_port)]
        async with (
            subprocess_server(argv_bare, dict(os.environ), bare_base, stage.folder / "bare.log") as bare,
            serve(stage, REPORT_TOKEN, profile) as served,
        ):
            await wait_quiet(db)  # the sends' first rendering, before any report
            pid = served.process.pid
            rss_start = proc_status(pid, "VmRSS")
            a = await measure_throughput(
                executor,
                db,
                Server(bare.pid, bare_base),
                Server(pid, served.base),
                per_round,
                concurrency,
                pyspy,
            )
            b = await measure_paced(executor, db, standin, [served.base], ts_b, pairs_b)
            await wait_quiet(db)
            hwm = proc_status(pid, "VmHWM")
            rss = proc_status(pid, "VmRSS")
        print_throughput(a, n, concurrency, rounds, database_name(database_url))
        print_calls(b, standin)
        print_visibility(b)
        print_memory(hwm, rss_start, rss, a.bare_hwm)
        print_log_errors(served.log_path)
        print(f"\nwhole run: {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=10000, help="report callbacks a run in (a)")
    parser.add_argument("--database-url", default=None, help="postgresql://… (a scratch database is made)")
    parser.add_argument("--concurrency", type=int, default=64, help="load generator workers for (a)")
    parser.add_argument("--profile", default=None, help="run the web process under cProfile, write here")
    parser.add_argument("--rounds", type=int, default=5, help="stored runs in (a), each between bare runs")
    parser.add_argument("--py-spy", default=None, help="sample the web process during (a)'s first stored run")
    parser.add_argument(
        "--processes", type=int, default=None, help="N web processes on one database (bench.reports_scale)"
    )
    parser.add_argument("--bare-server", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server is not None:
        bare_server(args.bare_server, REPORT_TOKEN)
    elif args.processes is not None:
        from bench import reports_scale

        asyncio.run(
            reports_scale.main(args.reports, args.database_url, args.concurrency, args.processes, args.rounds)
        )
    else:
        profile = os.path.abspath(args.profile) if args.profile else None
        pyspy = os.path.abspath(args.py_spy) if args.py_spy else None
        asyncio.run(main(args.reports, args.database_url, args.concurrency, profile, pyspy, args.rounds))
