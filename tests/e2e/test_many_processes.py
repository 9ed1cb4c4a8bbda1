"""`python -m bot serve` as real processes under a burst of delivery reports.

A serve process SIGKILLed in the middle of a report burst, then restarted: every report it
answered 200 is stored once and shown (once, but for what the killed process had posted and not yet
marked: shown again, never lost). Two serve processes on one PostgreSQL database:
reports (some sent to both) are stored once, each send's message and thread are right, and
the updates are coalesced. Real subprocesses, real HTTP on loopback, no mocks.
"""

from __future__ import annotations

import asyncio
import random
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select, update

from bot.dev.local_server import NotServing, free_port, wait_until_serving
from bot.dev.sandbox import SandboxConfig, create_sandbox_app
from bot.dev.slack_standin import SlackStandIn
from bot.dev.stored_sends import accept, store_sms
from bot.domain.numbers import display_msisdn
from bot.domain.states import NumberStatus
from bot.settings import load_settings
from bot.store.changes import unshown
from bot.store.db import Database, now
from bot.store.sends import finish_send
from bot.store.tables import Recipient, Report, Send
from tests.conftest import Serve
from tests.e2e.conftest import (
    BOT_TOKEN,
    CHANNEL,
    CPID,
    PASSWORD,
    REPORT_TOKEN,
    blocks_text,
    serve_env,
)

FAILURE_CODES = ("401", "402", "403", "404")
COUNTS = re.compile(r"\*Delivered\* ([\d,]+) · \*Failed\* ([\d,]+) · \*Pending\* ([\d,]+)")


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Callback:
    """One report callback the platform would make."""

    msgid: str
    number: str
    failed: bool
    code: str

    @property
    def value(self) -> str:
        return "400" if self.failed else "0"

    @property
    def status(self) -> NumberStatus:
        return NumberStatus.FAILED if self.failed else NumberStatus.DELIVERED

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.msgid, self.number, self.value, self.code)

    def query(self) -> dict[str, str]:
        return {
            "command": "RT_REQUEST",
            "msgid": self.msgid,
            "da": self.number,
            "rsm": f"{self.msgid}|{self.value}|{self.code}||",
        }


@dataclass(frozen=True)
class StoredSend:
    send_id: int
    msgid: str
    ts: str
    numbers: tuple[str, ...]


def number(send: int, position: int) -> str:
    """A valid CN mobile number no sandbox rule treats specially (never ends 0000, 040x, 0501)."""
    return f"86139{(send + 1) * 1000 + position + 1:08d}"


def callbacks_for(sends: Iterable[StoredSend], failed_every: int = 5) -> list[Callback]:
    """One report per number: every `failed_every`-th number fails, with a 40x code."""
    out = []
    for send in sends:
        for i, n in enumerate(send.numbers):
            failed = i % failed_every == failed_every - 1
            code = FAILURE_CODES[i % len(FAILURE_CODES)] if failed else "DELIVRD"
            out.append(Callback(send.msgid, n, failed, code))
    return out


class ServeProcess:
    """One `python -m bot serve` subprocess; its output goes to a log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.port = int(env["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.report_url = f"{self.url}/santo/reports/{REPORT_TOKEN}"
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "serve", env=self.env, stdout=log, stderr=log
            )
        await self._until_serving()

    async def _until_serving(self) -> None:
        assert self.process is not None
        try:
            await wait_until_serving(self.url, self.process, within=15)
        except NotServing as exc:
            raise AssertionError(f"serve on port {self.port}: {exc}:\n{self.log()}") from None

    def sigkill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        """Kill (SIGKILL) if still running and reap; safe to call twice."""
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.kill()
        await asyncio.wait_for(self.process.wait(), timeout=10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@asynccontextmanager
async def world(
    serve: Serve, database_url: str
) -> AsyncIterator[tuple[SlackStandIn, dict[str, str], Database, AsyncWebClient]]:
    """Slack stand-in and sandbox in this process, a migrated database, and serve's env."""
    standin = SlackStandIn(token=BOT_TOKEN)
    standin.base_url = await serve(standin.app())
    sandbox_url = await serve(create_sandbox_app(SandboxConfig(accounts={CPID: PASSWORD})))
    env = serve_env(
        standin,
        sandbox_url,
        database_url,
        {
            "SANTO_REPORT_TOKEN": REPORT_TOKEN,
            "SANTO_SANDBOX": "false",
        },
    )
    env.pop("SLACK_APP_TOKEN", None)
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "migrate", env=env | {"PORT": "3000"}, stdout=asyncio.subprocess.DEVNULL
    )
    assert await asyncio.wait_for(migrate.wait(), timeout=30) == 0
    db = Database(load_settings(database_url=database_url).sqlalchemy_url)
    slack = AsyncWebClient(token=BOT_TOKEN, base_url=standin.api_url())
    try:
        yield standin, env, db, slack
    finally:
        await db.close()


async def store_sends(
    db: Database, slack: AsyncWebClient, count: int, size: int, tag: str
) -> list[StoredSend]:
    """`count` sends of `size` numbers each, as the send pipeline stores them after the platform
    accepted each with one msgid; each has a real channel message in the stand-in."""
    sends = []
    for s in range(count):
        numbers = tuple(number(s, i) for i in range(size))
        posted = await slack.chat_postMessage(channel=CHANNEL, text="…")
        send_id = await store_sms(db, numbers, str(posted["ts"]), text=f"burst {tag} {s}", channel_id=CHANNEL)
        msgid = f"m-{tag}-{s}"
        await accept(db, send_id, msgid, numbers, command="MULTI_MT_RESPONSE")
        await finish_send(db, send_id)
        sends.append(StoredSend(send_id, msgid, str(posted["ts"]), numbers))
    return sends


async def fire(
    targets: list[tuple[Callback, list[str]]],
    concurrency: int,
    after_ack: Callable[[int], None] | None = None,
) -> list[tuple[Callback, str, int | None]]:
    """GET every callback at every one of its report URLs, at most `concurrency` in flight.

    Returns (callback, url, HTTP status or None when no answer came). `after_ack(n)` runs
    right after the n-th 200 arrived.
    """
    gate = asyncio.Semaphore(concurrency)
    results: list[tuple[Callback, str, int | None]] = []
    acked = 0
    timeout = aiohttp.ClientTimeout(total=20)
    connector = aiohttp.TCPConnector(limit=concurrency * 2, force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:

        async def one(callback: Callback, url: str) -> None:
            nonlocal acked
            status: int | None = None
            async with gate:
                try:
                    async with http.get(url, params=callback.query()) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = None
            results.append((callback, url, status))
            if status == 200:
                acked += 1
                if after_ack is not None:
                    after_ack(acked)

        await asyncio.gather(*(one(cb, url) for cb, urls in targets for url in urls))
    return results


async def recipients_by_key(db: Database) -> dict[tuple[str, str], Recipient]:
    async with db.session() as session:
        rows = await session.scalars(select(Recipient))
        return {(r.msgid or "", r.number): r for r in rows}


async def stored_reports(db: Database) -> list[tuple[str, str, str, str]]:
    async with db.session() as session:
        rows = await session.execute(select(Report.msgid, Report.number, Report.value, Report.code))
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def db_counts(db: Database, sends: list[StoredSend]) -> dict[int, tuple[int, int, int]]:
    """send id → (delivered, failed, pending) as stored."""
    by_send: dict[int, Counter[str]] = {s.send_id: Counter() for s in sends}
    async with db.session() as session:
        rows = await session.execute(
            select(Recipient.send_id, Recipient.status, func.count()).group_by(
                Recipient.send_id, Recipient.status
            )
        )
        for send_id, status, n in rows.all():
            by_send[send_id][status] += n
    return {
        send_id: (
            c[NumberStatus.DELIVERED],
            c[NumberStatus.FAILED],
            c[NumberStatus.PENDING] + c[NumberStatus.QUEUED],
        )
        for send_id, c in by_send.items()
    }


async def failed_numbers(db: Database, send_id: int) -> set[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(Recipient.number).where(
                Recipient.send_id == send_id, Recipient.status == NumberStatus.FAILED
            )
        )
        return set(rows)


async def let_leases_run_out(db: Database) -> None:
    """Time travel for a dead process's claims: a send the killed notifier had claimed stays
    claimed until its lease (bot.reports.notifier.LEASE, 60 s) runs out. Move that moment to now rather
    than waiting a minute; the restarted process must still find and show everything itself."""
    async with db.session.begin() as session:
        await session.execute(
            update(Send)
            .where(Send.claimed_until.is_not(None))
            .values(claimed_until=now() - timedelta(seconds=1))
        )


async def settled(db: Database) -> bool:
    """Nothing left for any notifier: no send dirty, no failure unannounced."""
    async with db.session() as session:
        dirty = (await session.execute(unshown())).one()[0]
        unannounced = await session.scalar(
            select(func.count())
            .select_from(Recipient)
            .where(Recipient.status == NumberStatus.FAILED, Recipient.announced.is_(False))
        )
    return not dirty and not unannounced


async def until_settled(db: Database, within: float) -> None:
    deadline = time.monotonic() + within
    while not await settled(db):
        assert time.monotonic() < deadline, f"notifier work still left after {within:.0f} s"
        await asyncio.sleep(0.1)


def shown_counts(standin: SlackStandIn, send: StoredSend) -> tuple[int, int, int] | None:
    message = standin.messages.get((CHANNEL, send.ts))
    match = COUNTS.search(blocks_text(message.blocks)) if message else None
    if match is None:
        return None
    d, f, p = (int(g.replace(",", "")) for g in match.groups())
    return d, f, p


def thread_text(standin: SlackStandIn, send: StoredSend) -> str:
    return "\n".join(blocks_text(reply.blocks) for reply in standin.thread(CHANNEL, send.ts))


def failure_lines(text: str, numbers: Iterable[str]) -> Counter[str]:
    """How often each number is listed as a failure (`+86 139 … — reason`) in `text`."""
    return Counter({n: text.count(f"{display_msisdn(n)} — ") for n in numbers})


def shows_everything(
    standin: SlackStandIn,
    sends: list[StoredSend],
    counts: dict[int, tuple[int, int, int]],
    failed: dict[int, set[str]],
) -> bool:
    for send in sends:
        if shown_counts(standin, send) != counts[send.send_id]:
            return False
        listed = failure_lines(thread_text(standin, send), failed[send.send_id])
        if any(listed[n] == 0 for n in failed[send.send_id]):
            return False
    return True


def listed_failures(standin: SlackStandIn, sends: list[StoredSend]) -> set[str]:
    """The numbers some thread lists as failed."""
    everywhere = "\n".join(thread_text(standin, s) for s in sends)
    return {n for n, k in failure_lines(everywhere, [n for s in sends for n in s.numbers]).items() if k}


async def unannounced(db: Database) -> set[str]:
    """Failed numbers not yet marked as listed in their thread."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Recipient.number).where(
                Recipient.status == NumberStatus.FAILED, Recipient.announced.is_(False)
            )
        )
        return set(rows)


def assert_threads_list_each_failure_once(
    standin: SlackStandIn,
    sends: list[StoredSend],
    failed: dict[int, set[str]],
    in_flight: frozenset[str] = frozenset(),
) -> None:
    """Each failed number listed once in its own thread, and no other listed; `in_flight`: numbers
    a killed process had listed but not marked listed, which may show a second time."""
    everywhere = "\n".join(thread_text(standin, s) for s in sends)
    all_numbers = [n for s in sends for n in s.numbers]
    overall = failure_lines(everywhere, all_numbers)
    repeated = {display_msisdn(n): k for n, k in overall.items() if k > (2 if n in in_flight else 1)}
    assert not repeated, f"numbers listed more than once in threads: {repeated}"
    for send in sends:
        listed = failure_lines(thread_text(standin, send), send.numbers)
        wrong = {
            display_msisdn(n): k
            for n, k in listed.items()
            if not (min(k, 1) == (n in failed[send.send_id]) and k <= (2 if n in in_flight else 1))
        }
        assert not wrong, f"send {send.send_id}: thread lists these numbers a wrong number of times: {wrong}"


# --------------------------------------------------------------------------- tests


async def test_sigkill_mid_burst_then_restart_shows_every_acknowledged_report_once(
    serve: Serve, database_url: str, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        standin, env, db, slack = await stack.enter_async_context(world(serve, database_url))
        sends = await store_sends(db, slack, count=5, size=100, tag="kill")
        env = env | {"PORT": str(free_port())}
        first = ServeProcess(env, tmp_path / "serve-1.log")
        stack.push_async_callback(first.stop)
        await first.start()
        await standin.wait_for(
            lambda: all(shown_counts(standin, s) == (0, 0, len(s.numbers)) for s in sends),
            timeout=15,
            what="every send's message showing its numbers pending",
        )

        callbacks = callbacks_for(sends)
        random.Random(7).shuffle(callbacks)
        kill_at = int(len(callbacks) * 0.4)

        def kill_when(acked: int) -> None:
            if acked == kill_at:
                first.sigkill()  # synchronously, before any other response is looked at

        results = await fire(
            [(cb, [first.report_url]) for cb in callbacks], concurrency=50, after_ack=kill_when
        )
        await first.stop()
        assert first.process is not None and first.process.returncode == -signal.SIGKILL
        acked = [cb for cb, _, status in results if status == 200]
        statuses = Counter(status for _, _, status in results)
        assert len(acked) >= kill_at and statuses[None] > 0, f"the kill was not mid-burst: {statuses}"
        assert set(statuses) <= {200, None}, f"unexpected answers before the kill: {statuses}"

        # What was acknowledged is committed: the database is the source of truth from here on.
        stored = set(await stored_reports(db))
        recipients = await recipients_by_key(db)
        lost = [cb for cb in acked if cb.key not in stored]
        assert not lost, f"{len(lost)} report(s) answered 200 but not stored, e.g. {lost[:3]}"
        wrong = [cb for cb in acked if recipients[(cb.msgid, cb.number)].status != cb.status]
        assert not wrong, f"{len(wrong)} acknowledged report(s) not applied to their number, e.g. {wrong[:3]}"
        counts = await db_counts(db, sends)
        failed = {s.send_id: await failed_numbers(db, s.send_id) for s in sends}
        for send in sends:
            mine = [cb for cb in acked if cb.msgid == send.msgid]
            assert counts[send.send_id][0] >= sum(not cb.failed for cb in mine)
            assert failed[send.send_id] >= {cb.number for cb in mine if cb.failed}
            assert sum(counts[send.send_id]) == len(send.numbers)

        # The notifier lists, then marks listed: what the killed process had listed but not
        # marked may be listed again (never lost).
        in_flight = frozenset(listed_failures(standin, sends) & await unannounced(db))
        # Restart on the same port with the same environment; nothing is sent again.
        await let_leases_run_out(db)
        second = ServeProcess(env, tmp_path / "serve-2.log")
        stack.push_async_callback(second.stop)
        await second.start()
        await standin.wait_for(
            lambda: shows_everything(standin, sends, counts, failed),
            timeout=30,
            what="every send's message and thread showing what the database holds",
        )
        await until_settled(db, within=15)

        assert await db_counts(db, sends) == counts  # nothing changed the stored outcome after the kill
        for send in sends:
            assert shown_counts(standin, send) == counts[send.send_id]
        assert_threads_list_each_failure_once(standin, sends, failed, in_flight)


async def test_two_serve_processes_share_the_work_on_postgres(
    serve: Serve, postgres_url: str, tmp_path: Path
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    async with AsyncExitStack() as stack:
        standin, env, db, slack = await stack.enter_async_context(world(serve, postgres_url))
        sends = await store_sends(db, slack, count=4, size=50, tag="two")
        processes = [
            ServeProcess(env | {"PORT": str(free_port())}, tmp_path / f"serve-{i}.log") for i in (1, 2)
        ]
        for process in processes:
            stack.push_async_callback(process.stop)
        await asyncio.gather(*(p.start() for p in processes))
        urls = [p.report_url for p in processes]

        callbacks = callbacks_for(sends)
        rng.shuffle(callbacks)
        twice = set(rng.sample(range(len(callbacks)), k=len(callbacks) // 5))
        targets = [(cb, urls if i in twice else [rng.choice(urls)]) for i, cb in enumerate(callbacks)]
        results = await fire(targets, concurrency=40)
        refused = [(cb, url, status) for cb, url, status in results if status != 200]
        assert not refused, f"seed {seed}: {len(refused)} callback(s) not answered 200, e.g. {refused[:3]}"
        assert {url for _, url, _ in results} == set(urls)

        stored = Counter(await stored_reports(db))
        assert set(stored) == {cb.key for cb in callbacks}
        assert set(stored.values()) == {1}, (
            f"reports stored more than once: {[k for k, n in stored.items() if n > 1]}"
        )

        expected = {
            s.send_id: (
                sum(not cb.failed for cb in callbacks if cb.msgid == s.msgid),
                sum(cb.failed for cb in callbacks if cb.msgid == s.msgid),
                0,
            )
            for s in sends
        }
        failed = {
            s.send_id: {cb.number for cb in callbacks if cb.msgid == s.msgid and cb.failed} for s in sends
        }
        assert await db_counts(db, sends) == expected
        await standin.wait_for(
            lambda: shows_everything(standin, sends, expected, failed),
            timeout=30,
            what="every send's message and thread showing every report",
        )
        await until_settled(db, within=15)
        for send in sends:
            assert shown_counts(standin, send) == expected[send.send_id]
        assert_threads_list_each_failure_once(standin, sends, failed)

        updates = Counter(call.args.get("ts") for call in standin.calls_to("chat.update"))
        for send in sends:
            reports = sum(1 for cb in callbacks if cb.msgid == send.msgid)
            assert 1 <= updates[send.ts] <= reports // 2, (
                f"send {send.send_id}: {updates[send.ts]} chat.update calls for {reports} reports (not coalesced)"
            )
