"""What a resumable send (a send from a file) keeps in the store, and the queries its run makes.

A run holds the send's lease (`submit_owner`, `submit_lease`: `acquire`, `renew`, `release`).
Each of its requests claims its numbers (Queued → Submitting, guarded by the status) and each
answer is stored on the claimed rows by id: both go in groups through `commit_group`, one
transaction each (the group writer is `bot.sending.file_send_writer`; the run itself is
`bot.sending.file_send`). The Core statements of those commits are built once, here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update

from bot.domain.states import NumberStatus, SendState
from bot.santo.models import BatchOutcome
from bot.store.db import Database
from bot.store.reports import mark_dirty
from bot.store.sends import RESUMABLE_UNOWNED, outcome_values
from bot.store.tables import Recipient, Report, Send

log = logging.getLogger(__name__)

_recipients = cast(Table, Recipient.__table__)
_reports = cast(Table, Report.__table__)
_unindexed_status = _recipients.c.status + ""
"""`status || ''`: the same value, but no index on status can serve it. A claim names its rows by
id; on `status = 'queued'` both SQLite and PostgreSQL (whose statistics predate the send's
10,000 new rows) would rather walk every queued row of the status index than use the ids."""

LEASE = timedelta(seconds=10)
"""How long a run's hold on a send lasts without renewal (renewed four times as often): a crashed
run's send is resumed by the next process's scheduler once it has lapsed."""

Claimed = dict[str, int]
"""The numbers a claim won, with their row ids."""


# ------------------------------------------------------------------ the send's lease


async def acquire(db: Database, send_id: int, owner: str, at: datetime) -> Send | None:
    """Take over a resumable send whose lease is free or expired; numbers a previous run left
    Submitting (no answer stored) become Unknown. None when another run holds it."""
    async with db.session.begin() as session:
        won = await session.execute(
            update(Send)
            .where(
                Send.id == send_id,
                Send.state == SendState.SENDING,
                Send.submit_lease.is_not(None),
                Send.submit_lease < at,
            )
            .values(submit_owner=owner, submit_lease=at + LEASE)
            .returning(Send.id)
        )
        if won.first() is None:
            return None
        rows = await session.execute(
            update(Recipient)
            .where(Recipient.send_id == send_id, Recipient.status == NumberStatus.SUBMITTING)
            .values(status=NumberStatus.UNKNOWN, updated_at=at)
            .returning(Recipient.id)
        )
        lost = len(rows.all())
        if lost:
            log.warning("send %d: %d numbers were in flight when a run stopped: Unknown", send_id, lost)
            await mark_dirty(session, [send_id], at)
        return await session.get(Send, send_id)


async def renew(db: Database, send_id: int, owner: str, at: datetime) -> bool:
    async with db.session.begin() as session:
        kept = await session.execute(
            update(Send)
            .where(Send.id == send_id, Send.submit_owner == owner)
            .values(submit_lease=at + LEASE)
            .returning(Send.id)
        )
        return kept.first() is not None


async def release(db: Database, send_id: int, owner: str) -> None:
    async with db.session.begin() as session:
        await session.execute(
            update(Send)
            .where(Send.id == send_id, Send.submit_owner == owner)
            .values(submit_owner=None, submit_lease=RESUMABLE_UNOWNED)
        )


# ------------------------------------------------------------------ reads


async def queued(
    db: Database, send_id: int, after: int = 0, limit: int | None = None
) -> list[tuple[int, str | None]]:
    """Rows still to submit, in file order: (id, the number's own text or None); the first
    `limit` of those whose id is above `after`."""
    async with db.engine.connect() as connection:  # Core: 10,000 rows read in a third of the ORM's time
        rows = await connection.execute(
            select(_recipients.c.id, _recipients.c.text)
            .where(
                _recipients.c.send_id == send_id,
                _recipients.c.status == NumberStatus.QUEUED,
                _recipients.c.id > after,
            )
            .order_by(_recipients.c.id)
            .limit(limit)
        )
        # Row by row, not `.all()`: a list of 100,000 Rows beside the tuples would double the memory.
        return [(row_id, text) for row_id, text in rows]


async def resumable_sends(db: Database, at: datetime) -> list[int]:
    """Resumable sends still Sending that no live run holds."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Send.id).where(
                Send.state == SendState.SENDING, Send.submit_lease.is_not(None), Send.submit_lease < at
            )
        )
        return list(rows)


async def own_texts(db: Database, send_id: int, numbers: list[str]) -> tuple[str, ...] | None:
    """Each number's own message in a personalised send (None when the send has one text)."""
    async with db.session() as session:
        rows = await session.execute(
            select(Recipient.number, Recipient.text).where(
                Recipient.send_id == send_id, Recipient.text.is_not(None)
            )
        )
        texts = {number: text for number, text in rows.all() if text is not None}
    if not texts:
        return None
    return tuple(texts.get(n, "") for n in numbers)


async def is_resumable(db: Database, send_id: int) -> bool:
    async with db.session() as session:
        lease = await session.scalar(select(Send.submit_lease).where(Send.id == send_id))
        return lease is not None


# ------------------------------------------------------------------ claims and answers


async def commit_group(
    db: Database, claims: Sequence[list[int]], answers: Sequence[tuple[BatchOutcome, Claimed]], at: datetime
) -> tuple[list[Claimed], list[str]]:
    """One transaction through `Database.write` (on SQLite the writer's connection, in turn
    with the report batches): the answers, each on its claimed rows by id, then the
    claims. Returns what each claim won, and the msgids stored whose reports came before them
    (to apply with `apply_stored_reports`)."""
    rows: list[dict[str, Any]] = []
    msgids: list[str] = []
    for outcome, claimed in answers:
        values = outcome_values(outcome)
        rows += [
            {
                "rid": claimed[n],
                "s": values["status"],
                "m": values.get("msgid"),
                "c": values["code"],
                "t": at,
            }
            for n in outcome.numbers
            if n in claimed
        ]
        if values.get("msgid"):
            msgids.append(str(values["msgid"]))

    def write(connection: Connection) -> list[Claimed]:
        if rows:
            connection.execute(_RECORD, rows)
        return [
            {number: row_id for number, row_id in connection.execute(_CLAIM, {"ids": ids, "t": at}).all()}
            for ids in claims
        ]

    won = await db.write(write)
    # After the commit: a report committed meanwhile saw no msgid to apply to, and is visible now.
    return won, (await _early(db, msgids) if msgids else [])


async def _early(db: Database, msgids: list[str]) -> list[str]:
    """Which of these msgids already have reports stored (they came before the submit's answer)."""
    async with db.session() as session:
        return list((await session.execute(_EARLY, {"msgids": msgids})).scalars())


# Built once: every commit of a run uses them.
_CLAIM = (
    update(_recipients)
    .where(
        _recipients.c.id.in_(bindparam("ids", expanding=True)),
        _unindexed_status == NumberStatus.QUEUED.value,
    )
    .values(status=NumberStatus.SUBMITTING, updated_at=bindparam("t"))
    .returning(_recipients.c.number, _recipients.c.id)
)
"""Queued → Submitting for a request's rows; the numbers won, with their ids."""
_RECORD = (
    update(_recipients)
    .where(_recipients.c.id == bindparam("rid"))
    .values(status=bindparam("s"), msgid=bindparam("m"), code=bindparam("c"), updated_at=bindparam("t"))
)
"""A submit's answer on one claimed row (executemany: every answer of a commit in one call)."""
_EARLY = select(_reports.c.msgid).where(_reports.c.msgid.in_(bindparam("msgids", expanding=True))).distinct()
"""Which of these msgids already have reports stored (they came before the submit's answer)."""
