"""The retention batches: bounded, oldest first, and nothing young touched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.dev.stored_sends import accept, store_sms
from bot.store.db import Database, now
from bot.store.reports import store_callbacks
from bot.store.retention import purge_by_date, purge_reports, purge_sends
from bot.store.tables import Draft, Recipient, Report, Send, StepRun
from tests.store.test_reports import report


async def count(db: Database, what: object) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(what)) or 0)


async def test_reports_go_oldest_first_a_batch_at_a_time(db: Database) -> None:
    await store_callbacks(db, [report(f"m-{i}", "8613910825657") for i in range(5)], now() - timedelta(days=100))
    await store_callbacks(db, [report("m-young", "8613910825657")], now())
    cutoff = now() - timedelta(days=90)
    first = await purge_reports(db, cutoff, after=0, limit=2)
    assert (first.done, first.finished) == (2, False) and await count(db, Report) == 4
    second = await purge_reports(db, cutoff, first.after, limit=2)
    third = await purge_reports(db, cutoff, second.after, limit=2)
    assert (second.done, third.done, third.finished) == (2, 1, True)
    async with db.session() as session:
        assert list(await session.scalars(select(Report.msgid))) == ["m-young"]


async def test_a_big_send_loses_its_numbers_a_batch_at_a_time_then_its_text(db: Database) -> None:
    numbers = tuple(f"86139108256{i:02d}" for i in range(5))
    old = await store_sms(db, numbers, "1700000000.000100")
    await accept(db, old, "m-old", numbers)
    young = await store_sms(db, numbers[:1], "1700000000.000200")
    async with db.session.begin() as session:
        await session.execute(update(Send).where(Send.id == old).values(created_at=now() - timedelta(days=100)))
    cutoff, after, rounds = now() - timedelta(days=90), 0, 0
    while True:
        batch = await purge_sends(db, cutoff, after, limit=2)
        after, rounds = batch.after, rounds + 1
        if batch.finished:
            break
    assert rounds == 3  # 2 numbers, 2 numbers, then the last one and the text
    async with db.session() as session:
        texts = dict((await session.execute(select(Send.id, Send.text))).all())
        left = list(await session.scalars(select(Recipient.send_id)))
    assert texts[old] == "" and texts[young] != ""
    assert left == [young]


async def test_drafts_go_and_ended_step_runs_lose_their_outputs(db: Database) -> None:
    old, young = now() - timedelta(days=100), now()
    async with db.session.begin() as session:
        for execution, at in (("Fx-old", old), ("Fx-young", young)):
            session.add(
                StepRun(
                    execution_id=execution,
                    team_id="T0ACME",
                    step="send_sms",
                    started_at=at,
                    ended_at=at,
                    outcome="completed",
                    detail='{"numbers_refused": "+86 139 1082 0402"}',
                )
            )
        session.add(Draft(id="d-old", team_id="T0ACME", user_id="U0ALICE", payload="{}", created_at=old))
        session.add(Draft(id="d-young", team_id="T0ACME", user_id="U0ALICE", payload="{}", created_at=young))
    assert await purge_by_date(db, now() - timedelta(days=90), limit=10) == 2
    async with db.session() as session:
        runs = dict((await session.execute(select(StepRun.execution_id, StepRun.detail))).all())
        drafts = list(await session.scalars(select(Draft.id)))
    assert runs["Fx-old"] is None and runs["Fx-young"] is not None
    assert drafts == ["d-young"]
