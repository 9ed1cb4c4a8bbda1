"""Removing what is kept only for a while: the texts and numbers of sends, reports and replies
older than SANTO_KEEP_DAYS (README, "What is stored, and for how long").

Each function handles one batch of at most `limit` rows and says where the next one starts.
Rows are stored in time order, so a table is read by id from where the last batch ended, and the
first row too young ends the work on it. A batch is found by a read on a connection of its own
and changed by id in one short transaction (`Database.write`, not synced to disk by itself: a
lost one is done again), which with SQLite runs on the writer's connection between two report
batches. What stays: each send with its counts and cost (its text emptied), each reply's place
in its send's thread (its number and text gone), the audit trail without its free-text detail,
and the opt-out list (a number that said STOP must stay out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, func, select, update

from bot.domain.states import ApprovalState, SendState
from bot.store.db import Database
from bot.store.tables import (
    Approval,
    AuditEntry,
    BadCallback,
    Conversation,
    Draft,
    Inbound,
    Recipient,
    Report,
    Send,
    StepRun,
)


@dataclass(frozen=True)
class Batch:
    done: int
    """Rows deleted or emptied."""
    after: int
    """Where the next batch starts (after this id)."""
    finished: bool
    """Nothing older than the cutoff is left to look at."""


async def _read(db: Database, query: Any) -> Sequence[Any]:
    async with db.engine.connect() as connection:
        return (await connection.execute(query)).all()


def _old_prefix(rows: Sequence[Any], cutoff: datetime) -> list[Any]:
    """The rows (id order) before the first one stored at or after `cutoff`."""
    old = []
    for row in rows:
        if _utc(row.at) >= cutoff:
            break
        old.append(row)
    return old


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at  # SQLite drops the zone


async def _delete_rows(
    db: Database, table: Any, at: Any, cutoff: datetime, after: int, limit: int
) -> Batch:
    query = select(table.id, at.label("at")).where(table.id > after).order_by(table.id).limit(limit)
    old = _old_prefix(await _read(db, query), cutoff)
    if old:
        gone = delete(table).where(table.id.in_([row.id for row in old]))
        await db.write(lambda connection: connection.execute(gone), durable=False)
    return Batch(len(old), old[-1].id if old else after, len(old) < limit)


async def purge_reports(db: Database, cutoff: datetime, after: int, limit: int) -> Batch:
    """Reports as they came (msgid, number, raw text): their outcome is on the send's numbers."""
    return await _delete_rows(db, Report, Report.received_at, cutoff, after, limit)


async def purge_bad_callbacks(db: Database, cutoff: datetime, after: int, limit: int) -> Batch:
    return await _delete_rows(db, BadCallback, BadCallback.received_at, cutoff, after, limit)


async def purge_audit_details(db: Database, cutoff: datetime, after: int, limit: int) -> Batch:
    """The audit trail keeps who did what, when, where, to how many, at what cost: only the
    free-text detail (a refusal's words, which may quote anything) goes."""
    rows = await _read(
        db,
        select(AuditEntry.id, AuditEntry.at.label("at"))
        .where(AuditEntry.id > after, AuditEntry.detail.is_not(None))
        .order_by(AuditEntry.id)
        .limit(limit),
    )
    old = _old_prefix(rows, cutoff)
    if old:
        ids = [row.id for row in old]
        emptied = update(AuditEntry).where(AuditEntry.id.in_(ids)).values(detail=None)
        await db.write(lambda connection: connection.execute(emptied), durable=False)
    return Batch(len(old), old[-1].id if old else after, len(old) < len(rows) or len(rows) < limit)


async def purge_sends(db: Database, cutoff: datetime, after: int, limit: int) -> Batch:
    """A send's numbers (with each one's text and status) are deleted, at most `limit` a batch,
    then its text is emptied; the send stays with its counts, cost and outcome. A send still
    scheduled is left alone (and the batches start again from it)."""
    rows = await _read(
        db,
        select(Send.id, Send.created_at.label("at"), Send.state)
        .where(Send.id > after, Send.text != "")
        .order_by(Send.id)
        .limit(limit),
    )
    old = _old_prefix(rows, cutoff)
    ids = [row.id for row in old if row.state != SendState.SCHEDULED]
    waiting = [row.id for row in old if row.state == SendState.SCHEDULED]
    reached = min(waiting) - 1 if waiting else (old[-1].id if old else after)
    finished = len(old) < len(rows) or len(rows) < limit

    def purge(connection: Connection) -> bool:
        numbers = select(Recipient.id).where(Recipient.send_id.in_(ids)).limit(limit).scalar_subquery()
        removed = connection.execute(delete(Recipient).where(Recipient.id.in_(numbers))).rowcount
        if removed >= limit:
            return False  # more numbers are left: the next batch goes on with the same sends
        connection.execute(update(Send).where(Send.id.in_(ids)).values(text=""))
        return True

    if not ids:
        return Batch(0, reached, finished)
    if not await db.write(purge, durable=False):
        return Batch(0, after, False)
    return Batch(len(ids), reached, finished)


async def purge_inbound(db: Database, cutoff: datetime, after: int, limit: int, now: datetime) -> Batch:
    """Phones' messages (and callbacks kept raw): their number, text and raw form go; the row
    stays, so its send still counts the reply. One never posted by then is taken as posted
    (`now`), and an inbox thread whose number has no message left is forgotten."""
    rows = await _read(
        db,
        select(Inbound.id, Inbound.received_at.label("at"), Inbound.account, Inbound.phone)
        .where(Inbound.id > after, Inbound.raw != "")
        .order_by(Inbound.id)
        .limit(limit),
    )
    old = _old_prefix(rows, cutoff)
    if old:
        ids = [row.id for row in old]
        phones: dict[str, set[str]] = {}
        for row in old:
            if row.phone:
                phones.setdefault(row.account, set()).add(row.phone)

        def purge(connection: Connection) -> None:
            connection.execute(
                update(Inbound)
                .where(Inbound.id.in_(ids))
                .values(
                    raw="",
                    phone=None,
                    text=None,
                    to_number=None,
                    momsgid=None,
                    posted_at=func.coalesce(Inbound.posted_at, now),
                    claimed_until=None,
                )
            )
            still_there = exists().where(
                Inbound.account == Conversation.account, Inbound.phone == Conversation.phone
            )
            for account, numbers in phones.items():
                connection.execute(
                    delete(Conversation).where(
                        Conversation.account == account, Conversation.phone.in_(numbers), ~still_there
                    )
                )

        await db.write(purge, durable=False)
    return Batch(len(old), old[-1].id if old else after, len(old) < len(rows) or len(rows) < limit)


async def purge_by_date(db: Database, cutoff: datetime, limit: int) -> int:
    """Drafts (sends never confirmed, or confirmed long ago) are deleted; a decided approval
    request keeps who asked, how many, the cost and the decision, without the send it held; an
    ended Workflow Builder step run keeps its step and outcome, without its outputs (which name
    the numbers refused). These tables are small and their ids say nothing of time: read by date."""
    drafts = await _read(db, select(Draft.id).where(Draft.created_at < cutoff).limit(limit))
    approvals = await _read(
        db,
        select(Approval.id)
        .where(Approval.created_at < cutoff, Approval.payload != "")
        .where(Approval.state != ApprovalState.PENDING)
        .limit(limit),
    )
    runs = await _read(
        db,
        select(StepRun.execution_id)
        .where(StepRun.started_at < cutoff, StepRun.ended_at.is_not(None), StepRun.detail.is_not(None))
        .limit(limit),
    )
    draft_ids, approval_ids = [row.id for row in drafts], [row.id for row in approvals]
    run_ids = [row.execution_id for row in runs]
    if draft_ids or approval_ids or run_ids:

        def purge(connection: Connection) -> None:
            connection.execute(delete(Draft).where(Draft.id.in_(draft_ids)))
            connection.execute(update(Approval).where(Approval.id.in_(approval_ids)).values(payload=""))
            connection.execute(update(StepRun).where(StepRun.execution_id.in_(run_ids)).values(detail=None))

        await db.write(purge, durable=False)
    return len(draft_ids) + len(approval_ids) + len(run_ids)
