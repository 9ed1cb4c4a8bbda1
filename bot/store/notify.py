"""What the notifier needs of the store: claims on sends with news, failures to announce.

The statements are built once. The writes go through `Database.write`: with SQLite they run on
the writer's connection, in turn with the report batches, so a claim in the middle of a burst of
reports never holds the write lock across trips through a busy event loop (which made the
report writer wait for it). They are bookkeeping that a crash repeats (a claim expires,
a message is updated again), so their commits are not synced to disk on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Select, Table, Update, bindparam, or_, select, true, update

from bot.domain.states import NumberStatus
from bot.store.changes import ANY_CHANGE, fold
from bot.store.db import Database
from bot.store.models import Failure
from bot.store.tables import Inbound, Recipient, Send

_sends = cast(Table, Send.__table__)
_recipients = cast(Table, Recipient.__table__)
_inbound = cast(Table, Inbound.__table__)


@dataclass(frozen=True)
class Claim:
    send_id: int
    change_seq: int
    dirty_since: datetime | None = None
    """When its oldest change not yet shown was stored (UTC)."""


def _claim(table: Table, ready: tuple[ColumnElement[bool], ...], oldest_first: ColumnElement[Any]) -> Update:
    """Lease the `limit` oldest ready rows until `until`; another process skips what we hold."""
    ready_ids = (
        select(table.c.id)
        .where(*ready)
        .order_by(oldest_first)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return update(table).where(table.c.id.in_(ready_ids)).values(claimed_until=bindparam("until"))


_DIRTY = (
    _sends.c.dirty_since.is_not(None),
    (_sends.c.claimed_until.is_(None)) | (_sends.c.claimed_until < bindparam("now")),
    (_sends.c.not_before.is_(None)) | (_sends.c.not_before <= bindparam("now")),
)
_ANY_NEWS = select(true()).where(or_(ANY_CHANGE.exists(), select(_sends.c.id).where(*_DIRTY).exists()))
_CLAIM_DIRTY = _claim(_sends, _DIRTY, _sends.c.dirty_since).returning(
    _sends.c.id, _sends.c.change_seq, _sends.c.dirty_since
)
_UNANNOUNCED = (
    select(_recipients.c.id, _recipients.c.number, _recipients.c.code, _recipients.c.status)
    .where(
        _recipients.c.send_id == bindparam("send_id"),
        _recipients.c.status.in_([NumberStatus.FAILED, NumberStatus.NO_REPORT]),
        _recipients.c.announced.is_(False),
    )
    .order_by(_recipients.c.id)
    .limit(bindparam("limit"))
)
_ANNOUNCED = (
    update(_recipients).where(_recipients.c.id.in_(bindparam("ids", expanding=True))).values(announced=True)
)
_SETTLED = (
    update(_sends)
    .where(_sends.c.id == bindparam("send_id"), _sends.c.change_seq == bindparam("seq"))
    .values(dirty_since=None, claimed_until=None, not_before=None, notify_attempts=0)
)
_RELEASED = (
    update(_sends)
    .where(_sends.c.id == bindparam("send_id"))
    .values(claimed_until=None, not_before=None, notify_attempts=0)
)
_DEFERRED = (
    update(_sends)
    .where(_sends.c.id == bindparam("send_id"))
    .values(claimed_until=None, not_before=bindparam("until"))
)
_DEFERRED_FAILED = _DEFERRED.values(notify_attempts=_sends.c.notify_attempts + 1)
_ATTEMPTS = select(_sends.c.notify_attempts).where(_sends.c.id == bindparam("send_id"))
_INBOUND_READY = (
    _inbound.c.posted_at.is_(None),
    (_inbound.c.claimed_until.is_(None)) | (_inbound.c.claimed_until < bindparam("now")),
)
_ANY_INBOUND = select(_inbound.c.id).where(*_INBOUND_READY).limit(1)
_CLAIM_INBOUND = _claim(_inbound, _INBOUND_READY, _inbound.c.id).returning(_inbound.c.id)
# Bind names are not column names: an UPDATE reserves those for its SET clause.


async def claim_dirty(db: Database, limit: int, lease: timedelta, now: datetime) -> list[Claim]:
    """Claim sends whose message must be shown again (the changes marked since the last pass
    folded into them first); another process skips what we hold."""
    if not await _any(db, _ANY_NEWS, now):
        return []

    def claim(connection: Connection) -> list[Claim]:
        fold(connection)
        rows = connection.execute(_CLAIM_DIRTY, {"now": now, "limit": limit, "until": now + lease})
        return [Claim(send_id, seq, _utc(since)) for send_id, seq, since in rows.all()]

    return await db.write(claim, durable=False)


async def unannounced_failures(db: Database, send_id: int, limit: int) -> list[Failure]:
    def read(connection: Connection) -> list[Failure]:
        rows = connection.execute(_UNANNOUNCED, {"send_id": send_id, "limit": limit})
        return [Failure(*row) for row in rows.all()]

    return await db.read(read)


async def mark_announced(db: Database, ids: list[int]) -> None:
    await db.write(lambda connection: connection.execute(_ANNOUNCED, {"ids": ids}), durable=False)


async def settle(db: Database, claim: Claim, done: bool) -> None:
    """Shown: clear `dirty` unless something changed meanwhile (or more is left to show)."""

    def settle(connection: Connection) -> None:
        params = {"send_id": claim.send_id, "seq": claim.change_seq}
        if not done or connection.execute(_SETTLED, params).rowcount == 0:
            connection.execute(_RELEASED, params)

    await db.write(settle, durable=False)


async def defer(db: Database, send_id: int, until: datetime, failed: bool) -> None:
    """Not now: release the claim and keep the send dirty until `until`."""
    statement = _DEFERRED_FAILED if failed else _DEFERRED
    params = {"send_id": send_id, "until": until}
    await db.write(lambda connection: connection.execute(statement, params), durable=False)


async def attempts(db: Database, send_id: int) -> int:
    return await db.read(lambda connection: int(connection.scalar(_ATTEMPTS, {"send_id": send_id}) or 0))


async def claim_inbound(db: Database, limit: int, lease: timedelta, now: datetime) -> list[Inbound]:
    if not await _any(db, _ANY_INBOUND, now):
        return []

    def claim(connection: Connection) -> list[int]:
        rows = connection.execute(_CLAIM_INBOUND, {"now": now, "limit": limit, "until": now + lease})
        return [row[0] for row in rows.all()]

    ids = await db.write(claim, durable=False)
    if not ids:
        return []
    async with db.session() as session:
        return list(await session.scalars(select(Inbound).where(Inbound.id.in_(ids)).order_by(Inbound.id)))


def _utc(at: datetime | None) -> datetime | None:
    """SQLite gives its timestamps back without their zone: they were stored in UTC."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


async def _any(db: Database, query: Select[Any], now: datetime) -> bool:
    """A read before a claim: most passes find nothing, and a read takes no write lock."""
    return await db.read(lambda connection: connection.execute(query, {"now": now}).first() is not None)
