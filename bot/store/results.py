"""A send's numbers with their outcome and latest reply, read in chunks in id order (keyset
pagination): the results download never holds more than one chunk of a 100,000-number send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from sqlalchemy import Connection, select

from bot.domain.states import NumberStatus
from bot.store.app_home import aware
from bot.store.db import Database
from bot.store.models import ResultRow
from bot.store.tables import Inbound, Recipient

CHUNK = 2000
"""Numbers read at a time (also the size of the IN list that finds their replies)."""
REPORTED = (NumberStatus.DELIVERED, NumberStatus.FAILED)
"""Statuses a report set: their `updated_at` is when it came."""


async def result_chunks(db: Database, send_id: int, chunk: int = CHUNK) -> AsyncIterator[list[ResultRow]]:
    """The send's numbers, `chunk` at a time, in the order they were stored."""
    after = 0
    while True:
        rows = await db.read(partial(_chunk, send_id, after, chunk))
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _chunk(send_id: int, after: int, size: int, connection: Connection) -> list[ResultRow]:
    numbers = connection.execute(
        select(
            Recipient.id,
            Recipient.number,
            Recipient.region,
            Recipient.status,
            Recipient.code,
            Recipient.updated_at,
            Recipient.text,
        )
        .where(Recipient.send_id == send_id, Recipient.id > after)
        .order_by(Recipient.id)
        .limit(size)
    ).all()
    replies = _latest_replies(connection, send_id, [row.number for row in numbers])
    return [
        ResultRow(
            id=row.id,
            number=row.number,
            region=row.region,
            status=row.status,
            code=row.code,
            reported_at=aware(row.updated_at) if row.status in REPORTED else None,
            text=row.text,
            reply=replies.get(row.number),
        )
        for row in numbers
    ]


def _latest_replies(connection: Connection, send_id: int, numbers: list[str]) -> dict[str, str]:
    if not numbers:
        return {}
    rows = connection.execute(
        select(Inbound.phone, Inbound.text)
        .where(Inbound.send_id == send_id, Inbound.phone.in_(numbers))
        .order_by(Inbound.received_at, Inbound.id)
    ).all()
    return {str(phone): text or "" for phone, text in rows}  # the newest comes last
