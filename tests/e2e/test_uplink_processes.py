"""Inbound SMS in every uplink shape against real `serve` processes: SIGKILLed mid-burst and
restarted, or two of them on one PostgreSQL database. Every message answered 200 is stored once
and shown in the thread it answers: once, but for what a killed process had posted to Slack and not
yet marked posted (shown again, never lost)."""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.dev.slack_standin import SlackStandIn
from bot.domain.states import NumberStatus
from bot.store.db import Database
from bot.store.tables import Inbound, Recipient
from tests.conftest import Serve
from tests.e2e.conftest import CHANNEL, blocks_text
from tests.e2e.test_many_processes import (
    ServeProcess,
    StoredSend,
    free_port,
    let_leases_run_out,
    store_sends,
    world,
)

Post = tuple[str, dict[str, str], list[str]]
"""(what it is, the form, the texts it carries)"""


def reports_for(singles: list[StoredSend]) -> list[Post]:
    """A delivery report for each one-number send in the family's shapes, which name no number:
    half alone (RT_REQUEST with mtmsgid), half five to a MULTI_RT_REQUEST."""
    half = len(singles) // 2
    posts: list[Post] = [
        (
            "RT",
            {"command": "RT_REQUEST", "mtmsgid": s.msgid, "mtstat": "DELIVRD", "mterrcode": "000"},
            [s.msgid],
        )
        for s in singles[:half]
    ]
    rest = singles[half:]
    for start in range(0, len(rest), 5):
        chunk = rest[start : start + 5]
        items = ",".join(f"{s.msgid}/DELIVRD/000/0" for s in chunk)
        posts.append(("MULTI_RT", {"command": "MULTI_RT_REQUEST", "rts": items}, [s.msgid for s in chunk]))
    return posts


async def delivered_msgids(db: Database) -> set[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(Recipient.msgid).where(Recipient.status == NumberStatus.DELIVERED)
        )
        return {m for m in rows if m}


def posts_for(sends: list[StoredSend]) -> list[Post]:
    """Every number of every send writes back once: some alone (MO_REQUEST), the others ten to a
    MULTI_MO_REQUEST, as gateways of the family deliver them."""
    posts: list[Post] = []
    numbers = [n for send in sends for n in send.numbers]
    alone, grouped = numbers[: len(numbers) // 2], numbers[len(numbers) // 2 :]
    for n in alone:
        text = f"re-{n}"
        form = {"command": "MO_REQUEST", "momsgid": f"mo-{n}", "sa": n, "dc": "15", "sm": text.encode().hex()}
        posts.append(("MO", form, [text]))
    for start in range(0, len(grouped), 10):
        chunk = grouped[start : start + 10]
        items = ",".join(f"mo-{n}/{n}/1069/0/0/15/{f're-{n}'.encode().hex()}" for n in chunk)
        posts.append(("MULTI_MO", {"command": "MULTI_MO_REQUEST", "mos": items}, [f"re-{n}" for n in chunk]))
    return posts


async def fire(
    posts: list[Post], urls: list[str], concurrency: int, after_ack: Callable[[int], None] | None = None
) -> list[tuple[Post, int | None]]:
    """POST every callback to every url; (callback, status or None when no answer came)."""
    gate = asyncio.Semaphore(concurrency)
    results: list[tuple[Post, int | None]] = []
    acked = 0
    connector = aiohttp.TCPConnector(limit=concurrency * 2, force_close=True)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20), connector=connector) as http:

        async def one(post: Post, url: str) -> None:
            nonlocal acked
            status: int | None = None
            async with gate:
                try:
                    async with http.post(url, data=post[1]) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = None
            results.append((post, status))
            if status == 200:
                acked += 1
                if after_ack is not None:
                    after_ack(acked)

        await asyncio.gather(*(one(post, url) for post in posts for url in urls))
    return results


def shown_texts(standin: SlackStandIn, sends: list[StoredSend]) -> Counter[str]:
    """How often each reply text shows in the sends' threads."""
    shown: Counter[str] = Counter()
    for send in sends:
        for message in standin.thread(CHANNEL, send.ts):
            text = blocks_text(message.blocks)
            shown.update(word for n in send.numbers if (word := f"re-{n}") in text)
    return shown


async def unmarked_texts(db: Database) -> set[str]:
    async with db.session() as session:
        return set(await session.scalars(select(Inbound.text).where(Inbound.posted_at.is_(None))))


async def stored_messages(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Inbound)) or 0)


async def test_sigkill_mid_burst_then_restart_shows_every_acknowledged_reply(
    serve: Serve, database_url: str, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        standin, env, db, slack = await stack.enter_async_context(world(serve, database_url))
        singles = await store_sends(db, slack, count=20, size=1, tag="rt")  # first: replies go to the later
        sends = await store_sends(db, slack, count=2, size=100, tag="mo")
        env = env | {"PORT": str(free_port())}
        first = ServeProcess(env, tmp_path / "serve-1.log")
        stack.push_async_callback(first.stop)
        await first.start()
        posts = posts_for(sends) + reports_for(singles)
        random.Random(11).shuffle(posts)
        kill_at = int(len(posts) * 0.4)

        def kill_when(acked: int) -> None:
            if acked == kill_at:
                first.sigkill()

        results = await fire(posts, [first.report_url], concurrency=20, after_ack=kill_when)
        await first.stop()
        assert first.process is not None and first.process.returncode == -signal.SIGKILL
        acked = [post for post, status in results if status == 200]
        assert len(acked) >= kill_at and any(status is None for _, status in results)
        acked_texts = {text for post in acked if post[0].endswith("MO") for text in post[2]}
        async with db.session() as session:
            stored = set(await session.scalars(select(Inbound.text)))
        assert acked_texts <= stored, f"{len(acked_texts - stored)} acknowledged replies not stored"
        acked_reports = {msgid for post in acked if post[0].endswith("RT") for msgid in post[2]}
        assert acked_reports <= await delivered_msgids(db), "an acknowledged report not applied"

        # What the killed process had posted but not yet marked posted: the only replies that may
        # show twice (the notifier posts, then marks; a crash in between repeats, never loses).
        in_flight = set(shown_texts(standin, sends)) & await unmarked_texts(db)
        await let_leases_run_out(db)
        second = ServeProcess(env, tmp_path / "serve-2.log")
        stack.push_async_callback(second.stop)
        await second.start()
        await standin.wait_for(
            lambda: set(shown_texts(standin, sends)) >= stored, timeout=60, what="every stored reply shown"
        )
        await asyncio.sleep(2)  # more passes: nothing may be shown again
        shown = shown_texts(standin, sends)
        assert set(shown) == stored
        assert {text for text, times in shown.items() if times > 1} <= in_flight, "a reply shown twice"
        assert max(shown.values()) <= 2
        assert await stored_messages(db) == len(stored)
        delivered = await delivered_msgids(db)

        def singles_shown() -> bool:
            return all(
                ("*Delivered* 1" in blocks_text(standin.messages[(CHANNEL, s.ts)].blocks))
                == (s.msgid in delivered)
                for s in singles
            )

        await standin.wait_for(singles_shown, timeout=30, what="each one-number send showing its report")


async def test_two_serve_processes_store_and_show_each_reply_once(
    serve: Serve, postgres_url: str, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        standin, env, db, slack = await stack.enter_async_context(world(serve, postgres_url))
        # first: replies go to the later sends
        singles = await store_sends(db, slack, count=20, size=1, tag="two-rt")
        sends = await store_sends(db, slack, count=2, size=100, tag="two")
        processes = []
        for i in range(2):
            process = ServeProcess(env | {"PORT": str(free_port())}, tmp_path / f"serve-{i}.log")
            stack.push_async_callback(process.stop)
            await process.start()
            processes.append(process)
        posts = posts_for(sends) + reports_for(singles)
        results = await fire(posts, [p.report_url for p in processes], concurrency=20)  # each to both
        assert {status for _, status in results} == {200}
        everything = {f"re-{n}" for send in sends for n in send.numbers}
        await standin.wait_for(
            lambda: set(shown_texts(standin, sends)) == everything, timeout=60, what="every reply shown"
        )
        await asyncio.sleep(2)
        assert set(shown_texts(standin, sends).values()) == {1}, "a reply shown twice"
        assert await stored_messages(db) == len(everything)
        assert await delivered_msgids(db) >= {s.msgid for s in singles}
