"""Sends and their numbers: create, record the platform's answers, read back for display."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import cast

from sqlalchemy import Connection, Integer, String, Table, bindparam, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Insert

from bot.domain.states import NumberStatus, SendState
from bot.i18n import Msg
from bot.santo.errors import OutcomeUnknown, SantoRejected
from bot.santo.models import BatchOutcome
from bot.store.db import Database, now
from bot.store.models import NewSend, SendView
from bot.store.reports import apply_stored_reports, mark_dirty
from bot.store.row_params import RowParams
from bot.store.tables import Inbound, Recipient, Send

log = logging.getLogger(__name__)

RESUMABLE_UNOWNED = datetime(2000, 1, 1, tzinfo=UTC)
"""`submit_lease` of a resumable send nobody is submitting."""
_recipients = cast(Table, Recipient.__table__)
ROWS_PER_INSERT = 10_000
"""Numbers stored by one statement: its parameters stay small however many numbers a send has."""


def send_row(new: NewSend, message_ts: str | None) -> Send:
    """The `sends` row for a new send (also the channel message's first version, unsaved)."""
    return Send(
        team_id=new.team_id,
        user_id=new.user_id,
        channel_id=new.channel_id,
        message_ts=message_ts,
        thread_ts=new.thread_ts,
        kind=new.kind,
        text=new.text,
        sender_id=new.sender_id,
        lang=new.lang,
        ui_language=new.ui_language,
        encoding=new.encoding,
        parts=new.parts,
        recipients=len(new.numbers),
        estimated_cost=new.estimated_cost,
        state=SendState.SCHEDULED if new.scheduled_at else SendState.SENDING,
        scheduled_at=new.scheduled_at,
        retry_of=new.retry_of,
        submit_lease=RESUMABLE_UNOWNED if new.resumable else None,
    )


async def create_send(db: Database, new: NewSend, message_ts: str | None) -> int:
    """Store the send and one Queued row per number (`_add_numbers`); returns the send's id."""
    started = time.perf_counter()
    async with db.session.begin() as session:
        send = send_row(new, message_ts)
        session.add(send)
        await session.flush()
        if new.numbers:
            await _add_numbers(await session.connection(), send.id, new)
    log.info("send %d stored: %d numbers in %.2f s", send.id, len(new.numbers), time.perf_counter() - started)
    return send.id


async def _add_numbers(connection: AsyncConnection, send_id: int, new: NewSend) -> None:
    """One Queued row per number, in their order, ROWS_PER_INSERT numbers a statement: the
    database unpacks them from a few parameters (`RowParams`). 100,000 numbers take about a
    second, where an executemany of as many rows took three on PostgreSQL, and its parameters
    (a dict a row) ten times the memory."""
    dialect = connection.dialect.name
    for start in range(0, len(new.numbers), ROWS_PER_INSERT):
        numbers = new.numbers[start : start + ROWS_PER_INSERT]
        texts = (None,) * len(numbers) if new.texts is None else new.texts[start : start + ROWS_PER_INSERT]
        rows = [(n.msisdn, n.region, text) for n, text in zip(numbers, texts, strict=True)]
        params = {"send_id": send_id, "account": new.account, **_NUMBERS.params(dialect, rows)}
        await connection.execute(_add_numbers_statement(dialect), params)


async def record_batch(db: Database, send_id: int, outcome: BatchOutcome) -> None:
    """Store one submit's answer on its numbers: msgid and Pending, or why not."""
    values = outcome_values(outcome)
    async with db.session.begin() as session:
        await session.execute(
            update(Recipient)
            .where(Recipient.send_id == send_id, Recipient.number.in_(outcome.numbers))
            .values(**values, updated_at=now())
        )
    if values.get("msgid"):
        await apply_early_reports(db, [str(values["msgid"])])


async def apply_early_reports(db: Database, msgids: list[str]) -> None:
    """Apply reports that came before these msgids were stored. Run after that commit: a report
    committed meanwhile by another transaction saw no msgid to apply to, and is visible now."""
    async with db.session.begin() as session:
        await apply_stored_reports(session, msgids, now())


def outcome_values(outcome: BatchOutcome) -> dict[str, str | None]:
    """What a submit's answer sets on its numbers: msgid and Pending, or the status and code of why not."""
    result, error = outcome.result, outcome.error
    if result is not None and result.accepted:
        return {"msgid": result.msgid, "status": NumberStatus.PENDING, "code": None}
    if result is not None:
        return {"status": NumberStatus.REJECTED, "code": result.code}
    if isinstance(error, SantoRejected):
        return {"status": NumberStatus.REJECTED, "code": error.code}
    if isinstance(error, OutcomeUnknown):
        return {"status": NumberStatus.UNKNOWN, "code": None}
    return {"status": NumberStatus.NOT_SENT, "code": None}


async def finish_send(db: Database, send_id: int, detail: Msg | None = None) -> SendState:
    """Set the send's platform outcome from its numbers once every batch has answered; the
    notifier then shows it (with `detail`, rendered in the send's language: see `detail_text`)."""
    async with db.session.begin() as session:
        rows = await session.execute(
            select(Recipient.status, func.count())
            .where(Recipient.send_id == send_id)
            .group_by(Recipient.status)
        )
        counts = {status: n for status, n in rows.all()}
        refused = counts.get(NumberStatus.REJECTED, 0) + counts.get(NumberStatus.NOT_SENT, 0)
        unknown = counts.get(NumberStatus.UNKNOWN, 0)
        total = sum(counts.values())
        if unknown:
            state = SendState.UNKNOWN
        elif refused == total:
            state = SendState.REJECTED
        elif refused:
            state = SendState.PARTLY_ACCEPTED
        else:
            state = SendState.ACCEPTED
        stored = detail.to_json() if detail else None
        await session.execute(update(Send).where(Send.id == send_id).values(state=state, detail=stored))
        await mark_dirty(session, [send_id], now())
        return state


async def load_send(db: Database, send_id: int) -> SendView | None:
    """The send and the counts its message shows, in one read (one hop with SQLite)."""
    return await db.read(partial(_load_send, send_id))


def _load_send(send_id: int, connection: Connection) -> SendView | None:
    with Session(connection, expire_on_commit=False) as session:
        send = session.get(Send, send_id)
        if send is None:
            return None
        session.expunge(send)
        view = SendView(send=send)
        rows = connection.execute(
            select(Recipient.status, Recipient.code, Recipient.msgid, func.count())
            .where(Recipient.send_id == send_id)
            .group_by(Recipient.status, Recipient.code, Recipient.msgid)
        )
        msgids: dict[str, None] = {}
        for status, code, msgid, count in rows.all():
            view.counts[status] += count
            if msgid:
                msgids[msgid] = None
            if status in (NumberStatus.FAILED, NumberStatus.REJECTED) and code:
                view.failure_reasons[code] += count
        view.msgids = sorted(msgids)
        replies = select(func.count()).select_from(Inbound).where(Inbound.send_id == send_id)
        view.replies = int(connection.scalar(replies) or 0)
        if send.recipients == 1:
            number = select(Recipient.number).where(Recipient.send_id == send_id)
            view.single_number = connection.scalar(number)
        return view


async def numbers_for_msgid(db: Database, msgid: str) -> list[Recipient]:
    async with db.session() as session:
        rows = await session.scalars(select(Recipient).where(Recipient.msgid == msgid).order_by(Recipient.id))
        return list(rows)


async def set_retry_link(db: Database, original_id: int, retry_id: int) -> Send | None:
    """Record that `retry_id` retried `original_id`'s failures; returns the original."""
    async with db.session.begin() as session:
        await session.execute(update(Send).where(Send.id == original_id).values(retry_send_id=retry_id))
        return await session.get(Send, original_id)


async def set_origin_link(db: Database, send_id: int, link: str | None) -> None:
    async with db.session.begin() as session:
        await session.execute(update(Send).where(Send.id == send_id).values(origin_link=link))


RETRY_LEASE = timedelta(minutes=10)
"""How long one person's open retry confirmation keeps others from starting another."""


async def get_send(db: Database, send_id: int) -> Send | None:
    async with db.session() as session:
        return await session.get(Send, send_id)


async def claim_retry(db: Database, send_id: int, user_id: str, at: datetime) -> Send | None:
    """Hold the right to prepare a retry of `send_id`'s failures; None if someone else holds it
    or it is done (the holder may always take it again: they reopen their own confirmation)."""
    async with db.session.begin() as session:
        won = await session.execute(
            update(Send)
            .where(
                Send.id == send_id,
                Send.retry_send_id.is_(None),
                (Send.retry_claimed_at.is_(None))
                | (Send.retry_claimed_at < at - RETRY_LEASE)
                | (Send.retry_claimed_by == user_id),
            )
            .values(retry_claimed_by=user_id, retry_claimed_at=at)
            .returning(Send.id)
        )
        if won.first() is None:
            return None
        return await session.get(Send, send_id)


async def release_retry(db: Database, send_id: int, user_id: str) -> None:
    """Give up `user_id`'s hold on retrying `send_id` (they closed its confirmation)."""
    async with db.session.begin() as session:
        await session.execute(
            update(Send)
            .where(Send.id == send_id, Send.retry_send_id.is_(None), Send.retry_claimed_by == user_id)
            .values(retry_claimed_by=None, retry_claimed_at=None)
        )


async def begin_retry(db: Database, send_id: int) -> bool:
    """Mark `send_id` as being retried (0 until the retry's id is known); False if it already is."""
    async with db.session.begin() as session:
        won = await session.execute(
            update(Send)
            .where(Send.id == send_id, Send.retry_send_id.is_(None))
            .values(retry_send_id=0)
            .returning(Send.id)
        )
        return won.first() is not None


async def failed_numbers(db: Database, send_id: int) -> list[tuple[str, str | None]]:
    async with db.session() as session:
        rows = await session.execute(
            select(Recipient.number, Recipient.code)
            .where(Recipient.send_id == send_id, Recipient.status == NumberStatus.FAILED)
            .order_by(Recipient.id)
        )
        return [(number, code) for number, code in rows.all()]


_NUMBERS = RowParams("number", "region", "text")


@cache
def _add_numbers_statement(dialect: str) -> Insert:
    """INSERT … SELECT: a Queued row of the send for each number, in their order (ids follow
    the file: its runs submit in that order), with the send's Santo account."""
    rows = _NUMBERS.source(dialect)
    return insert(_recipients).from_select(
        ["send_id", "account", "number", "region", "status", "text"],
        select(
            bindparam("send_id", type_=Integer),
            bindparam("account", type_=String),
            rows.c.number,
            rows.c.region,
            literal(NumberStatus.QUEUED.value),
            rows.c.text,
        ),
    )
