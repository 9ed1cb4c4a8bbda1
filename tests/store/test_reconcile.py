"""The reconciler's lookups of Pending numbers, which go through the sends still waiting for
reports: a send stops waiting only once none of its numbers is, or can still become, Pending.
What that buys: no index of `recipients` holds a number's status."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select, text

from bot.dev.stored_sends import store_sms
from bot.domain.states import NumberStatus
from bot.santo.models import BatchOutcome, SubmitResult
from bot.store.callbacks import CallbackBatch
from bot.store.db import Database, now
from bot.store.reconcile import claim_msgids_to_poll, give_up, stop_waiting
from bot.store.reports import store_callbacks, write_batch
from bot.store.sends import finish_send, record_batch
from bot.store.tables import Send
from tests.store.test_reports import NUMBERS, new_send, report, statuses

_UPDATES = text(
    "SELECT pg_stat_get_xact_tuples_updated('recipients'::regclass),"
    " pg_stat_get_xact_tuples_hot_updated('recipients'::regclass)"
)


async def waiting(db: Database, send_id: int) -> bool:
    async with db.session() as session:
        return bool(await session.scalar(select(Send.waiting).where(Send.id == send_id)))


async def test_a_send_waits_until_none_of_its_numbers_can_be_pending(db: Database) -> None:
    send_id = await new_send(db, "m-wait")
    assert await stop_waiting(db) == 0  # still sending: more numbers may be submitted
    await finish_send(db, send_id)
    await store_callbacks(db, [report("m-wait", number) for number in NUMBERS[:2]], now())
    assert await stop_waiting(db) == 0  # one number still Pending
    assert await claim_msgids_to_poll(db, timedelta(0), now(), 10) == [("", "m-wait")]
    assert await give_up(db, timedelta(0), now()) == 1  # found through its waiting send
    assert await stop_waiting(db) == 1
    assert not await waiting(db, send_id)
    # A report that comes after all still moves its number: it is found by its msgid.
    await store_callbacks(db, [report("m-wait", NUMBERS[2])], now())
    assert (await statuses(db, send_id))[NUMBERS[2]] == (NumberStatus.DELIVERED, "DELIVRD")


async def test_a_send_still_sending_keeps_waiting_whatever_its_numbers_are(db: Database) -> None:
    """A send from a file stores and submits its numbers over time: until it is done sending,
    numbers submitted later may still go Pending, so it is looked at even with none open."""
    send_id = await store_sms(db, NUMBERS, "1700000000.000100")
    refused = SubmitResult(command="MT_RESPONSE", accepted=False, code="104", msgid=None, numbers=NUMBERS)
    await record_batch(db, send_id, BatchOutcome(NUMBERS, result=refused))
    assert set(await statuses(db, send_id)) == set(NUMBERS)
    assert {status for status, _code in (await statuses(db, send_id)).values()} == {NumberStatus.REJECTED}
    assert await stop_waiting(db) == 0
    assert await waiting(db, send_id)
    await finish_send(db, send_id)
    assert await stop_waiting(db) == 1


async def test_a_report_moves_its_number_without_a_new_index_entry(db: Database) -> None:
    """On PostgreSQL a report's update of its number is a heap-only update: no index holds what
    it changes, and the page has room for the new version. An index on `status` would make each
    report write an entry into every index of `recipients` again."""
    if db.is_sqlite:
        pytest.skip("SQLite has no heap-only updates: it rewrites the entries of the columns changed")
    send_id = await new_send(db, "m-hot")
    batch = CallbackBatch.of([report("m-hot", number) for number in NUMBERS])
    async with db.engine.begin() as connection:  # the counts of this connection not reported yet
        before = (await connection.execute(_UPDATES)).one()
        await connection.run_sync(partial(write_batch, batch, now()))
        after = (await connection.execute(_UPDATES)).one()
    updated, heap_only = (after[0] - before[0], after[1] - before[1])
    assert (updated, heap_only) == (len(NUMBERS), len(NUMBERS))
    assert {status for status, _code in (await statuses(db, send_id)).values()} == {NumberStatus.DELIVERED}
