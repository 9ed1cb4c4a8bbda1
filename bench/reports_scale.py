"""`bench.reports --processes N`: does a second web process carry more reports? Prints figures.

N `python -m bot serve` processes share one database (PostgreSQL: give `--database-url`) behind
one closed-loop load generator that sends each request to the next process in turn, as a PaaS
router spreads requests over dynos. Each round measures intake with one process, then with all
N; the figure is the median ratio of the rounds. Then the 1,000-number send of (b) gets its
reports spread over all N processes: their notifiers share the work through the database, so the
Slack calls per report must stay as low as with one process.

On a machine with fewer cores than N web processes + the load generator + the database, the
processes compete for the same cores: the ratio then says how much the database and the app's
own coordination cost, not what N dynos with their own cores would carry. The load average is
printed at the start and the end.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack
from typing import Any

from bench.reports import (
    REPORT_TOKEN,
    Server,
    closed,
    cpu_per_report,
    database_name,
    measure_paced,
    print_calls,
    print_run,
    rate,
    store_sends,
    wait_quiet,
)
from bench.serve import BOT_TOKEN, CPID, CPPWD, Served, print_log_errors, serve, start_stage


async def main(n: int, database_url: str | None, concurrency: int, processes: int, rounds: int) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.dev.sandbox import SandboxConfig

    began = time.monotonic()
    spawn = multiprocessing.get_context("spawn")
    async with AsyncExitStack() as stack:
        stage = await start_stage(
            stack, "bench-scale-", database_url, SandboxConfig(report_delay=3600, accounts={CPID: CPPWD})
        )
        db, standin = stage.db, stage.standin
        slack = AsyncWebClient(token=BOT_TOKEN, base_url=standin.api_url())
        executor = stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=spawn))
        await asyncio.get_running_loop().run_in_executor(executor, time.time)
        per_round, ts_b, pairs_b = await store_sends(db, slack, n, 2 * rounds)
        load_start = os.getloadavg()[0]
        print(
            f"Santo for Slack: report intake with 1 and {processes} web processes on one "
            f"{database_name(database_url)} database (figures only; nothing is asserted)\n"
            f"setup: {processes} `python -m bot serve` subprocesses, one load generator process "
            f"round-robin over their ports, {concurrency} workers, {n} reports a run; "
            f"{os.cpu_count()} CPUs; load average {load_start:.2f} at start"
        )
        served: list[Served] = [
            await stack.enter_async_context(serve(stage, REPORT_TOKEN, None, name=f"serve-{i + 1}"))
            for i in range(processes)
        ]
        servers = [Server(s.process.pid, s.base) for s in served]
        await wait_quiet(db)
        ones, manys = [], []
        for r in range(rounds):
            ones.append(await closed(executor, servers[:1], per_round[2 * r], concurrency))
            await wait_quiet(db)
            manys.append(await closed(executor, servers, per_round[2 * r + 1], concurrency))
            await wait_quiet(db)
        load_end = os.getloadavg()[0]
        b = await measure_paced(executor, db, standin, [s.base for s in servers], ts_b, pairs_b)
        await wait_quiet(db)
        print_intake(processes, ones, manys, load_start, load_end)
        print_calls(b, standin)
        for s in served:
            print_log_errors(s.log_path)
        print(f"\nwhole run: {time.monotonic() - began:.1f} s")


def print_intake(
    processes: int,
    ones: list[dict[str, Any]],
    manys: list[dict[str, Any]],
    load_start: float,
    load_end: float,
) -> None:
    """(a): each round's runs, the intake ratio by round and its median, CPU and load."""
    print()
    print("(a) closed loop, each round with 1 process then with all of them:")
    for one, many in zip(ones, manys, strict=True):
        print_run("1 process          ", one)
        print_run(f"{processes} processes        ", many)
    ratios = [rate(many) / rate(one) for one, many in zip(ones, manys, strict=True)]
    print(
        f"    intake with {processes} / with 1 by round: {', '.join(f'{x:.2f}' for x in ratios)}; median "
        f"{statistics.median(ratios):.2f}; median reports/s: 1 process "
        f"{statistics.median(rate(x) for x in ones):.0f}, {processes} processes "
        f"{statistics.median(rate(x) for x in manys):.0f}"
    )
    print(
        f"    server CPU per report (all processes): 1 process "
        f"{1e6 * statistics.median(cpu_per_report(x) for x in ones):.0f} µs, {processes} processes "
        f"{1e6 * statistics.median(cpu_per_report(x) for x in manys):.0f} µs; load average "
        f"{load_start:.2f} at start, {load_end:.2f} after (a) on {os.cpu_count()} CPUs"
    )
