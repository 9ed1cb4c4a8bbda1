"""Sends marked as changed by report batches, and the notifier folding the marks into them:
no change is ever lost between a claim and its settle, and batches for one send never queue
for each other."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from bot.store.callbacks import CallbackBatch
from bot.store.changes import unshown
from bot.store.db import Database, now
from bot.store.notify import claim_dirty, settle
from bot.store.reports import store_callbacks, write_batch
from bot.store.tables import SendChange
from tests.store.test_reports import NUMBERS, new_send, report, statuses

LEASE = timedelta(seconds=20)


async def unshown_sends(db: Database) -> tuple[int, datetime | None]:
    async with db.session() as session:
        count, oldest = (await session.execute(unshown())).one()
    return count, oldest if oldest is None or oldest.tzinfo else oldest.replace(tzinfo=UTC)  # SQLite: naive


async def waiting_marks(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(SendChange)) or 0)


async def test_a_change_stored_while_the_message_is_drawn_is_shown_next(db: Database) -> None:
    send_id = await new_send(db, "m-fold")
    marked_at = now()
    await store_callbacks(db, [report("m-fold", NUMBERS[0])], marked_at)
    assert await unshown_sends(db) == (1, marked_at)
    [claim] = await claim_dirty(db, 10, LEASE, now())
    assert (claim.send_id, claim.dirty_since) == (send_id, marked_at)
    assert await waiting_marks(db) == 0  # folded into the send
    # Another report lands while the notifier draws the message it claimed: settling that
    # drawing must not lose it.
    await store_callbacks(db, [report("m-fold", NUMBERS[1], "402")], now())
    await settle(db, claim, done=True)
    [again] = await claim_dirty(db, 10, LEASE, now())
    assert again.send_id == send_id and again.change_seq > claim.change_seq
    await settle(db, again, done=True)
    assert await claim_dirty(db, 10, LEASE, now()) == []
    assert await unshown_sends(db) == (0, None)


async def test_batches_for_one_send_commit_side_by_side(db: Database) -> None:
    """A batch waiting for its commit (here: held open) does not hold up another batch for the
    same send: each marks the send by a row of its own, and neither locks the send's row."""
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: its batches never run side by side")
    send_id = await new_send(db, "m-side")
    held = await db.engine.connect()
    await held.run_sync(partial(write_batch, CallbackBatch.of([report("m-side", NUMBERS[0])]), now()))
    await asyncio.wait_for(store_callbacks(db, [report("m-side", NUMBERS[1], "402")], now()), timeout=10)
    await held.commit()
    await held.close()
    assert set((await statuses(db, send_id)).values()) >= {("delivered", "DELIVRD"), ("failed", "402")}
    [claim] = await claim_dirty(db, 10, LEASE, now())
    assert claim.send_id == send_id
    assert await waiting_marks(db) == 0
