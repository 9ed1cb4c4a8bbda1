"""Delivery-report intake and how fast reports show up in Slack. Prints figures; not a test.

    .venv/bin/python -m bench.reports [--reports 10000] [--rounds 3] [--database-url URL] [--concurrency 64]

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
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "xoxb-bench"
SECRET = "bench-signing-secret"
REPORT_TOKEN = "bench-report-token-7c1e"
CPID, CPPWD = "Bench01", "bench-pw"
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


# --------------------------------------------------------------------------- load generator
# These run in a spawned process: nothing here may depend on the parent's state.


def closed_loop(urls: list[str], warmup: list[str], concurrency: int) -> dict[str, Any]:
    return asyncio.run(_closed_loop(urls, warmup, concurrency))


async def _closed_loop(urls: list[str], warmup: list[str], concurrency: int) -> dict[str, Any]:
    import aiohttp
    from yarl import URL

    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def run(batch: list[str]) -> None:
            queue = iter(batch)

            async def worker() -> None:
                for url in queue:
                    try:
                        async with http.get(URL(url, encoded=True)) as response:
                            await response.read()
                            statuses[response.status] += 1
                    except (aiohttp.ClientError, OSError):
                        statuses[0] += 1

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await run(warmup)
        statuses.clear()
        cpu = time.process_time()
        started = time.perf_counter()
        await run(urls)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    return {"elapsed": elapsed, "statuses": dict(statuses), "cpu": cpu}


def paced(urls: list[str], spread: float) -> dict[str, Any]:
    return asyncio.run(_paced(urls, spread))


async def _paced(urls: list[str], spread: float) -> dict[str, Any]:
    import aiohttp
    from yarl import URL

    results: list[tuple[int, float]] = [(0, 0.0)] * len(urls)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def one(i: int, url: str) -> None:
            try:
                async with http.get(URL(url, encoded=True)) as response:
                    await response.read()
                    results[i] = (response.status, time.time())
            except (aiohttp.ClientError, OSError):
                results[i] = (0, time.time())

        tasks = []
        started_wall = time.time()
        base = time.perf_counter()
        for i, url in enumerate(urls):
            delay = base + i * spread / len(urls) - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, url)))
        await asyncio.gather(*tasks)
    return {"started": started_wall, "results": results}


# --------------------------------------------------------------------------- the bare route


def bare_server(port: int) -> None:
    """Same URL and answer as the real route, no storage, no app around it."""
    from aiohttp import web

    from bot.santo.reports import ReportError, parse_report
    from bot.webserver import running

    async def report(request: web.Request) -> web.Response:
        if request.match_info["token"] != REPORT_TOKEN:
            raise web.HTTPNotFound()
        try:
            parsed = parse_report(request.query)
        except ReportError as exc:
            return web.Response(status=400, text=f"malformed report: {exc}")
        return web.Response(text=f"command=RT_RESPONSE&msgid={parsed.msgid}&rtstat=ACCEPTD&rterrcode=000")

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/santo/reports/{token}", report)
        app.router.add_get("/healthz", healthz)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with running(app, port=port):
            await stop.wait()

    asyncio.run(serve())


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid: int, key: str) -> int:
    """A `kB` value from /proc/<pid>/status, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


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


@asynccontextmanager
async def scratch_database(url: str | None, folder: Path) -> AsyncIterator[str]:
    if url is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    import asyncpg  # type: ignore[import-untyped]

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url.rsplit("/", 1)[0] + "/" + name
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def subprocess_server(
    argv: list[str], env: dict[str, str], base: str, log_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start a server process, wait for /healthz, stop it with SIGTERM at the end."""
    import aiohttp

    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                if proc.returncode is not None:
                    raise RuntimeError(f"{argv} exited with {proc.returncode}:\n{_tail(log_path)}")
                try:
                    async with http.get(base + "/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{argv} did not become healthy:\n{_tail(log_path)}")
                await asyncio.sleep(0.1)
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@asynccontextmanager
async def sampled(pid: int, out: str | None) -> AsyncIterator[None]:
    """py-spy on `pid` for the duration of the block (when `out` is given)."""
    if out is None:
        yield
        return
    exe = Path(sys.executable).parent / "py-spy"
    argv = [str(exe) if exe.exists() else "py-spy", "record", "--pid", str(pid), "--output", out]
    argv += ["--format", "raw", "--threads", "--gil", "--rate", "250"]
    proc = await asyncio.create_subprocess_exec(*argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    await asyncio.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = await proc.communicate()
        print(f"py-spy: {err.decode(errors='replace').strip().splitlines()[-1:]}", file=sys.stderr)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --------------------------------------------------------------------------- stored sends


async def stored_send(
    db: Any, slack: Any, team: str, channel: str, index: int
) -> tuple[int, str, list[tuple[str, str]]]:
    """A 1,000-number send as the send pipeline stores it: channel message, numbers, one msgid per
    batch of 100, accepted. Returns (send id, message ts, [(msgid, number)])."""
    from bot.domain.numbers import parse_number
    from bot.domain.states import SendKind
    from bot.santo.models import BatchOutcome, SubmitResult
    from bot.store.models import NewSend
    from bot.store.sends import create_send, finish_send, record_batch

    numbers = tuple(parse_number(f"86138{index:02d}{i:06d}") for i in range(SEND_SIZE))
    posted = await slack.chat_postMessage(channel=channel, text="…")
    new = NewSend(
        team_id=team,
        user_id="U0ALICE",
        channel_id=channel,
        kind=SendKind.SMS,
        text="bench",
        sender_id=None,
        lang=None,
        encoding="GSM-7",
        parts=1,
        estimated_cost=Decimal("80"),
        numbers=numbers,
    )
    send_id = await create_send(db, new, str(posted["ts"]))
    pairs: list[tuple[str, str]] = []
    prefix = uuid.uuid4().hex[:10]
    for start in range(0, SEND_SIZE, BATCH):
        msgid = f"{prefix}{index:02d}{start // BATCH:02d}"
        batch = tuple(n.msisdn for n in numbers[start : start + BATCH])
        result = SubmitResult(command="MT_RESPONSE", accepted=True, code="000", msgid=msgid, numbers=batch)
        await record_batch(db, send_id, BatchOutcome(batch, result=result))
        pairs += [(msgid, number) for number in batch]
    await finish_send(db, send_id)
    return send_id, str(posted["ts"]), pairs


async def wait_quiet(db: Any, limit: float = 60.0) -> float:
    """Wait until no send has changes left to show; returns the seconds waited."""
    from sqlalchemy import func, select

    from bot.store.tables import Send

    started = time.monotonic()
    while time.monotonic() - started < limit:
        async with db.session() as session:
            dirty = await session.scalar(
                select(func.count()).select_from(Send).where(Send.dirty_since.is_not(None))
            )
        if not dirty:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise RuntimeError(f"sends still dirty after {limit:.0f} s")


# --------------------------------------------------------------------------- the run


async def main(
    n: int,
    database_url: str | None,
    concurrency: int,
    profile: str | None,
    pyspy: str | None = None,
    rounds: int = 3,
) -> None:
    from slack_sdk.web.async_client import AsyncWebClient
    from sqlalchemy import func, select

    from bot.dev.sandbox import SandboxConfig, create_sandbox_app
    from bot.dev.slack_standin import SlackStandIn
    from bot.settings import load_settings
    from bot.store.db import Database
    from bot.store.tables import Report
    from bot.webserver import running

    began = time.monotonic()
    spawn = multiprocessing.get_context("spawn")
    async with AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-reports-")))
        db_url = await stack.enter_async_context(scratch_database(database_url, folder))
        standin = SlackStandIn(token=BOT_TOKEN)
        standin.base_url = await stack.enter_async_context(running(standin.app()))
        sandbox_url = await stack.enter_async_context(
            running(create_sandbox_app(SandboxConfig(report_delay=3600, accounts={CPID: CPPWD})))
        )
        db = Database(load_settings(database_url=db_url).sqlalchemy_url)
        stack.push_async_callback(db.close)
        await db.migrate()
        slack = AsyncWebClient(token=BOT_TOKEN, base_url=standin.api_url())
        executor = stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=spawn))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(executor, time.time)  # start the generator process now

        # Stored sends: (a) needs WARMUP + n distinct (msgid, number) a round; (b) one 1,000-number send.
        pairs_a: list[tuple[str, str]] = []
        index = 0
        while len(pairs_a) < (WARMUP + n) * rounds:
            pairs_a += (await stored_send(db, slack, TEAM_A, CHANNEL_A, index))[2]
            index += 1
        _send_b, ts_b, pairs_b = await stored_send(db, slack, TEAM_B, CHANNEL_B, index)
        per_round = [pairs_a[r * (WARMUP + n) : (r + 1) * (WARMUP + n)] for r in range(rounds)]

        print(HEADER)
        db_name = "PostgreSQL" if database_url else "SQLite (temp dir, WAL; report commits synced to disk)"
        print(
            f"setup: web process = `python -m bot serve` subprocess; bare route = subprocess; load "
            f"generator = separate process; database {db_name}; {os.cpu_count()} CPUs; load average "
            f"{os.getloadavg()[0]:.2f} at start (other work on the machine skews the figures)"
        )

        # The bare route and the real web process, both up for the whole of (a): the bare route is
        # measured before and after the real one, to see how much the machine's load moved.
        bare_port, port = free_port(), free_port()
        bare_base, base = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{port}"
        argv_bare = [sys.executable, "-m", "bench.reports", "--bare-server", str(bare_port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SANTO_"))}
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=standin.api_url(),
            SANTO_BASE_URL=sandbox_url,
            SANTO_CPID=CPID,
            SANTO_CPPWD=CPPWD,
            SANTO_REPORT_TOKEN=REPORT_TOKEN,
            SANTO_SANDBOX="false",
            DATABASE_URL=db_url,
            PORT=str(port),
        )
        argv = [sys.executable, "-m", "bot", "serve"]
        if profile:
            argv = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "bot", "serve"]
        log_path = folder / "serve.log"
        async with (
            subprocess_server(argv_bare, dict(os.environ), bare_base, folder / "bare.log") as bare,
            subprocess_server(argv, env, base, log_path) as server,
        ):
            await wait_quiet(db)  # the sends' first rendering, before any report
            rss_start = proc_status(server.pid, "VmRSS")

            async def closed(
                pid: int, base_url: str, pairs: list[tuple[str, str]], sample: str | None = None
            ) -> dict[str, Any]:
                urls = [report_url(base_url, m, num, i % FAIL_EVERY == 0) for i, (m, num) in enumerate(pairs)]
                async with sampled(pid, sample):
                    cpu = cpu_seconds(pid)
                    run: dict[str, Any] = await loop.run_in_executor(
                        executor, closed_loop, urls[WARMUP:], urls[:WARMUP], concurrency
                    )
                    run["server_cpu"] = cpu_seconds(pid) - cpu
                return run

            bare_runs = [await closed(bare.pid, bare_base, per_round[0])]
            real_runs: list[dict[str, Any]] = []
            settles: list[float] = []
            for r in range(rounds):
                real_runs.append(await closed(server.pid, base, per_round[r], pyspy if r == 0 else None))
                # The notifier shows what the stored run changed; the bare route is measured after
                # that, not while the web process and the Slack stand-in still use the CPU for it.
                settles.append(await wait_quiet(db))
                bare_runs.append(await closed(bare.pid, bare_base, per_round[r]))
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

            # (b)/(c): the 1,000-number send, reports spread over SPREAD seconds.
            await wait_quiet(db)
            await asyncio.sleep(1.2)  # past the notifier's per-send gap and refilled buckets
            before = len(standin.calls)
            failed_b = {i for i in range(SEND_SIZE) if i % FAIL_EVERY == 0}
            urls_b = [report_url(base, m, num, i in failed_b) for i, (m, num) in enumerate(pairs_b)]
            final = {"Delivered": SEND_SIZE - len(failed_b), "Failed": len(failed_b), "Pending": 0}
            paced_run = await loop.run_in_executor(executor, paced, urls_b, SPREAD)

            def message_final() -> bool:
                message = standin.messages[(CHANNEL_B, ts_b)]
                return shown_counts(message.blocks) == final

            try:
                await standin.wait_for(message_final, timeout=30, what="the final counts")
            except Exception as exc:  # report what we have rather than nothing
                print(f"!! the message did not show the final counts: {exc}")
            message = standin.messages[(CHANNEL_B, ts_b)]
            final_at = message.at
            await wait_quiet(db)
            hwm = proc_status(server.pid, "VmHWM")
            rss = proc_status(server.pid, "VmRSS")
        problems = [line for line in log_path.read_text(errors="replace").splitlines() if " ERROR " in line]

        # (a)
        def rate(run: dict[str, Any]) -> float:
            return float(run["statuses"].get(200, 0) / run["elapsed"])

        ratios = [
            rate(real) / statistics.mean((rate(bare_runs[r]), rate(bare_runs[r + 1])))
            for r, real in enumerate(real_runs)
        ]
        print()
        print(
            f"(a) {n} report callbacks a run (GET, distinct msgid+da, 1 in {FAIL_EVERY} failed), "
            f"{concurrency} workers, after {WARMUP} warm-up requests;"
        )
        print(
            f"    {rounds} stored runs, each between two bare runs (the one after it waits for the "
            f"notifier: {', '.join(f'{s:.1f}' for s in settles)} s)"
        )

        def line(name: str, run: dict[str, Any]) -> None:
            others = {k: v for k, v in run["statuses"].items() if k != 200}
            print(
                f"    {name}: {rate(run):6.0f} reports/s answered 200 ({run['elapsed']:.2f} s; server CPU "
                f"{100 * run['server_cpu'] / run['elapsed']:.0f}% of a core, "
                f"{1e6 * run['server_cpu'] / max(1, run['statuses'].get(200, 0)):.0f} µs a report; generator "
                f"{100 * run['cpu'] / run['elapsed']:.0f}%)" + (f"; other answers {others}" if others else "")
            )

        line("bare route         ", bare_runs[0])
        for r, real in enumerate(real_runs):
            line("real route, stored ", real)
            line("bare route         ", bare_runs[r + 1])
        print(
            f"    ratio stored / bare by round: {', '.join(f'{x:.2f}' for x in ratios)}; "
            f"median {statistics.median(ratios):.2f} (target >= 0.5)"
        )
        print(f"    reports in the database afterwards: {stored} (expected {(WARMUP + n) * rounds})")
        sizes = [count for _at, count in batches]
        gaps = [(b[0] - a[0]).total_seconds() * 1000 for a, b in itertools.pairwise(batches)]
        if gaps:
            print(
                f"    group commit (from reports.received_at): {len(sizes)} batches, mean "
                f"{statistics.mean(sizes):.1f} reports/batch (max {max(sizes)}), median "
                f"{statistics.median(gaps):.1f} ms between batch starts"
            )

        # (b)
        started = float(paced_run["started"])
        results: list[tuple[int, float]] = paced_run["results"]
        window = [c for c in standin.calls[before:] if c.method in COUNTED and started <= c.at <= final_at]
        after = [c for c in standin.calls[before:] if c.method in COUNTED and c.at > final_at]
        kinds = Counter(c.method for c in window)
        acked = sorted(t for status, t in results if status == 200)
        print()
        print(
            f"(b) 1,000-number send, {SEND_SIZE - len(failed_b)} delivered + {len(failed_b)} failed, "
            f"reports spread over {SPREAD:.0f} s (last 200 at +{acked[-1] - started:.2f} s, "
            f"final counts shown at +{final_at - started:.2f} s)"
        )
        print(
            f"    Slack calls until final counts: {len(window)} ({kinds['chat.update']} chat.update, "
            f"{kinds['chat.postMessage']} chat.postMessage) = {len(window) / SEND_SIZE:.3f} calls/report "
            f"(target <= 0.02); {len(after)} more after that (thread replies)"
        )
        if len(acked) != SEND_SIZE:
            print(f"    !! only {len(acked)} of {SEND_SIZE} reports were answered 200")

        # (c)
        states = [(v.at, shown_counts(v.blocks)) for v in message.history] + [
            (message.at, shown_counts(message.blocks))
        ]
        shown = [(at, c.get("Delivered", 0) + c.get("Failed", 0)) for at, c in states if at >= started]
        delays: list[float] = []
        early = 0
        for k, t200 in enumerate(acked, start=1):
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

        # (d)
        print()
        print(
            f"(d) web process peak RSS (VmHWM at the end): {hwm / 1024:.1f} MiB "
            f"(RSS {rss_start / 1024:.1f} MiB before the first report, {rss / 1024:.1f} MiB at the end; "
            f"bare route process peak {bare_hwm / 1024:.1f} MiB)"
        )
        if problems:
            print(f"!! {len(problems)} ERROR lines in the web process log, first: {problems[0]}")
        print(f"\nwhole run: {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=10000, help="report callbacks a run in (a)")
    parser.add_argument("--database-url", default=None, help="postgresql://… (a scratch database is made)")
    parser.add_argument("--concurrency", type=int, default=64, help="load generator workers for (a)")
    parser.add_argument("--profile", default=None, help="run the web process under cProfile, write here")
    parser.add_argument("--rounds", type=int, default=3, help="stored runs in (a), each between bare runs")
    parser.add_argument("--py-spy", default=None, help="sample the web process during (a)'s first stored run")
    parser.add_argument("--bare-server", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server is not None:
        bare_server(args.bare_server)
    else:
        profile = os.path.abspath(args.profile) if args.profile else None
        pyspy = os.path.abspath(args.py_spy) if args.py_spy else None
        asyncio.run(main(args.reports, args.database_url, args.concurrency, profile, pyspy, args.rounds))
