"""Storing what the platform reports: idempotent, monotonic, and in batches."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.opt_out import NO_WORDS, OptWords
from bot.domain.states import REPORTABLE, NumberStatus
from bot.store.callbacks import Callback, CallbackBatch, Outcome
from bot.store.db import Database
from bot.store.inbound import write_messages
from bot.store.report_batch_sqlite import sqlite_time, write_sqlite
from bot.store.tables import BadCallback, Inbound, Recipient, Report, Send

log = logging.getLogger(__name__)

_recipients = cast(Table, Recipient.__table__)
_sends = cast(Table, Send.__table__)
_reports = cast(Table, Report.__table__)
_bad = cast(Table, BadCallback.__table__)
_inbound = cast(Table, Inbound.__table__)


# Built once: a report batch runs these on every commit.
_APPLY = (
    update(_recipients)
    .where(
        _recipients.c.msgid == bindparam("m"),
        _recipients.c.number == bindparam("n"),
        or_(*(_recipients.c.status == status for status in REPORTABLE)),  # no IN: executemany
    )
    .values(status=bindparam("s"), code=bindparam("c"), updated_at=bindparam("t"))
)
_MARK_DIRTY_BY_MSGID = (
    update(_sends)
    .where(
        _sends.c.id.in_(
            select(_recipients.c.send_id)
            .where(_recipients.c.msgid.in_(bindparam("msgids", expanding=True)))
            .scalar_subquery()
        )
    )
    .values(
        change_seq=_sends.c.change_seq + 1,
        dirty_since=func.coalesce(_sends.c.dirty_since, bindparam("now")),
    )
)


async def store_callbacks(
    db: Database, callbacks: Sequence[Callback], now: datetime, words: OptWords = NO_WORDS
) -> None:
    """Write a batch of callbacks (the report route's group commit): the reports in one
    transaction; then, when there are any, the inbound messages in another, with the opt-outs
    they ask for (`words`); then the reports that named no number are applied where their msgid
    has only one. All of it before anyone is told it is stored."""
    batch = CallbackBatch.of(callbacks)
    unsettled = await _write_reports(db, batch, now)
    if batch.messages:
        await db.write(partial(write_messages, list(batch.messages.values()), now, words))
    numberless = {msgid for msgid, number, _value, _code in batch.reports if not number}
    if unsettled or numberless:
        async with db.session.begin() as session:
            if unsettled:
                await apply_waiting(session, now, unsettled)
            if numberless:
                await apply_stored_reports(session, numberless, now)


async def _write_reports(db: Database, batch: CallbackBatch, now: datetime) -> set[str]:
    """The batch in one transaction; the msgids of new reports that found no number.

    Those are looked at again after the commit: on PostgreSQL a submit's answer may commit while
    this transaction runs, its own look for early reports not seeing them yet (READ COMMITTED),
    and without a second look they would wait for the reconciler's sweep. With SQLite the two
    transactions never overlap (one writer at a time), so the second to commit always sees the
    first."""
    if db.sqlite_writer is not None:
        conflicts = await db.sqlite_writer.run_driver(partial(write_sqlite, batch, sqlite_time(now)))
        for outcome, (status, code) in conflicts:
            _log_conflict(outcome, status, code)
        return set()
    unsettled: set[str] = set()
    async with db.session.begin() as session:
        if batch.reports:
            new = await insert_reports(session, db.is_sqlite, batch.reports, now)
            unsettled = await apply_outcomes(session, new, now)
        if batch.bad:
            await session.execute(
                insert(BadCallback), [{"raw": r, "reason": why, "received_at": now} for r, why in batch.bad]
            )
        if batch.inbound:
            await session.execute(
                insert(Inbound), [{"raw": r, "command": c, "received_at": now} for r, c in batch.inbound]
            )
    return unsettled


async def insert_reports(
    session: AsyncSession, sqlite: bool, rows: dict[tuple[str, str, str, str], str], now: datetime
) -> list[Outcome]:
    """Insert reports not seen before; return only those that are new."""
    params = [  # in key order: two processes writing the same reports cannot deadlock
        {"msgid": m, "number": n, "value": v, "code": c, "raw": raw, "received_at": now}
        for (m, n, v, c), raw in sorted(rows.items(), key=lambda item: item[0][:2])
    ]
    new_rows = sqlite_insert(_reports) if sqlite else pg_insert(_reports)
    statement = new_rows.on_conflict_do_nothing().returning(
        _reports.c.msgid, _reports.c.number, _reports.c.value, _reports.c.code
    )
    # Core statements on the session's connection: the ORM's bulk machinery is not needed here
    # and costs most of a batch's time.
    result = await (await session.connection()).execute(statement, params)
    return [Outcome(*row) for row in result.all()]


async def apply_outcomes(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> set[str]:
    """Move numbers forward; the database enforces "first final status wins". Returns the msgids
    of outcomes that found no number to apply to when they ran (see `_write_reports`)."""
    outcomes = await _numbered(session, outcomes)
    if not outcomes:
        return set()
    # Key order (stable: a number's reports keep their arrival order, so the first final wins).
    outcomes = sorted(outcomes, key=lambda o: (o.msgid, o.number))
    applied = await (await session.connection()).execute(
        _APPLY, [{"m": o.msgid, "n": o.number, "s": o.status, "c": o.code, "t": now} for o in outcomes]
    )
    await mark_dirty_by_msgid(session, {o.msgid for o in outcomes}, now)
    if applied.rowcount == len(outcomes):
        return set()
    return await _unapplied(session, outcomes)  # not all applied, or no count (asyncpg): look why


async def _numbered(session: AsyncSession, outcomes: Sequence[Outcome]) -> Sequence[Outcome]:
    """Reports that name no number (the family's shapes) given the number of their msgid when it
    has only one; for a batch msgid they apply to no number and stay kept as they came."""
    numberless = {o.msgid for o in outcomes if not o.number}
    if not numberless:
        return outcomes
    rows = await session.execute(
        select(_recipients.c.msgid, func.min(_recipients.c.number), func.count())
        .where(_recipients.c.msgid.in_(numberless))
        .group_by(_recipients.c.msgid)
    )
    single = {msgid: number for msgid, number, count in rows.all() if count == 1}
    numbered = [o for o in outcomes if o.number or o.msgid in single]
    return [o if o.number else replace(o, number=single[o.msgid]) for o in numbered]


async def _unapplied(session: AsyncSession, outcomes: Sequence[Outcome]) -> set[str]:
    """Log the outcomes that met another final status; return the msgids of those that met no
    number, or one still waiting (one read, which this look needed anyway)."""
    wanted = {(o.msgid, o.number): o for o in outcomes}
    rows = await session.execute(
        select(Recipient.msgid, Recipient.number, Recipient.status, Recipient.code).where(
            Recipient.msgid.in_({o.msgid for o in outcomes}),
            Recipient.number.in_({o.number for o in outcomes}),
        )
    )
    found: set[tuple[str, str]] = set()
    waiting: set[str] = set()
    for msgid, number, status, code in rows.all():
        found.add((msgid or "", number))
        if status in REPORTABLE:  # seen now, not by the update: its msgid committed meanwhile
            waiting.add(msgid or "")
        outcome = wanted.get((msgid or "", number))
        if (
            outcome
            and (status, code or "") != (outcome.status, outcome.code)
            and status != NumberStatus.PENDING
        ):
            _log_conflict(outcome, status, code)
    return waiting | {msgid for msgid, number in wanted if (msgid, number) not in found}


def _log_conflict(outcome: Outcome, status: str, code: str | None) -> None:
    log.warning(
        "conflicting report for msgid %s number %s ignored: %s %s, kept %s %s",
        outcome.msgid,
        outcome.number,
        outcome.value,
        outcome.code,
        status,
        code,
    )


async def mark_dirty_by_msgid(session: AsyncSession, msgids: Iterable[str], now: datetime) -> None:
    await (await session.connection()).execute(_MARK_DIRTY_BY_MSGID, {"msgids": list(msgids), "now": now})


async def mark_dirty(session: AsyncSession, send_ids: object, now: datetime) -> None:
    """Tell the notifier these sends' messages must be shown again."""
    await (await session.connection()).execute(
        update(_sends)
        .where(_sends.c.id.in_(send_ids))  # type: ignore[arg-type]
        .values(change_seq=_sends.c.change_seq + 1, dirty_since=func.coalesce(_sends.c.dirty_since, now))
    )


async def apply_stored_reports(session: AsyncSession, msgids: Iterable[str], now: datetime) -> None:
    """Apply reports that arrived before their msgid was stored (the submit answer lost the race)."""
    rows = await session.execute(
        select(Report.msgid, Report.number, Report.value, Report.code)
        .where(Report.msgid.in_(list(msgids)))
        .order_by(Report.id)
    )
    await apply_outcomes(session, [Outcome(*row) for row in rows.all()], now)


async def sweep_orphans(db: Database, now: datetime, limit: int = 500) -> int:
    """Apply stored reports whose numbers are still waiting: closes every race for good."""
    async with db.session.begin() as session:
        return await apply_waiting(session, now, limit=limit)


async def apply_waiting(
    session: AsyncSession, now: datetime, msgids: Iterable[str] | None = None, limit: int | None = None
) -> int:
    """Apply the stored reports (of `msgids`, or any) whose numbers are still waiting for one;
    how many there were. Numbers already final are not looked at again."""
    query = (
        select(Report.msgid, Report.number, Report.value, Report.code)
        .join(Recipient, (Recipient.msgid == Report.msgid) & (Recipient.number == Report.number))
        .where(Recipient.status.in_(REPORTABLE))
        .order_by(Report.id)
        .limit(limit)
    )
    if msgids is not None:
        query = query.where(Report.msgid.in_(list(msgids)))
    outcomes = [Outcome(*row) for row in (await session.execute(query)).all()]
    await apply_outcomes(session, outcomes, now)
    return len(outcomes)
