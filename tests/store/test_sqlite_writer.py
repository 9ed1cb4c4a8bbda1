"""SQLite in a file: the writer's connection runs a batch's statements on the event loop and its
commit on its thread; the event loop never waits for another connection's lock."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import insert, select

from bot.domain.states import NumberStatus
from bot.store.db import Database, now
from bot.store.reports import store_callbacks
from bot.store.tables import BadCallback, Recipient
from tests.store.test_reports import NUMBERS, count, new_send, report


@pytest.fixture(autouse=True)
def _sqlite_only(db: Database) -> None:
    if db.sqlite_writer is None:
        pytest.skip("the writer's connection is SQLite's (in a file)")


async def test_a_batch_waits_for_another_connections_write_lock_without_stopping_the_event_loop(
    db: Database,
) -> None:
    """Another connection of the process (aiosqlite, whose commit needs the event loop) holds the
    write lock when a batch comes: the batch waits for it off the event loop, so that connection
    can finish, and then lands. Waiting on the event loop would hold both up until SQLite gave up
    ("database is locked") and the batch failed."""
    send_id = await new_send(db, "m-lock")
    async with db.session() as session:
        await session.execute(insert(BadCallback).values(raw="held", reason="lock", received_at=now()))
        batch = asyncio.create_task(store_callbacks(db, [report("m-lock", NUMBERS[0])], now()))
        await asyncio.sleep(0.3)
        assert not batch.done()  # it waits for the lock...
        await session.commit()  # ...which this connection gives up on the event loop
    await batch
    async with db.session() as session:
        status = await session.scalar(
            select(Recipient.status).where(Recipient.send_id == send_id, Recipient.number == NUMBERS[0])
        )
    assert status == NumberStatus.DELIVERED
    assert await count(db, BadCallback) == 1


async def test_a_batch_whose_caller_is_cancelled_still_ends_before_the_next_one(db: Database) -> None:
    """A transaction that has begun is finished (here: committed) even if whoever waits for it is
    cancelled while its commit waits for the writer's thread; the next batch begins only then."""
    send_id = await new_send(db, "m-cancel")
    writer = db.sqlite_writer
    assert writer is not None
    busy = threading.Event()
    writer._executor.submit(busy.wait)  # the thread is busy: the first batch's commit waits
    first = asyncio.create_task(store_callbacks(db, [report("m-cancel", NUMBERS[0])], now()))
    await asyncio.sleep(0.1)  # its statements ran; its commit is queued behind `busy`
    first.cancel()
    second = asyncio.create_task(store_callbacks(db, [report("m-cancel", NUMBERS[1], "402")], now()))
    await asyncio.sleep(0.1)
    busy.set()
    await second
    with pytest.raises(asyncio.CancelledError):
        await first
    async with db.session() as session:
        rows = await session.execute(
            select(Recipient.number, Recipient.status).where(Recipient.send_id == send_id)
        )
        statuses = dict(rows.all())
    assert statuses[NUMBERS[0]] == NumberStatus.DELIVERED
    assert statuses[NUMBERS[1]] == NumberStatus.FAILED
