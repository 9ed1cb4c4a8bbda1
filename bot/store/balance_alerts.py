"""The low-balance alert's notice row (`notices`, kind `low_balance`, period `""`): it exists
while the alert stands. Inserting it is how one process, of however many, claims the alert."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.store.db import Database
from bot.store.tables import Notice

KIND = "low_balance"
_notices = cast(Table, Notice.__table__)


def _key(account: str) -> Any:
    return (Notice.account == account) & (Notice.kind == KIND) & (Notice.period == "")


async def kept(db: Database, account: str) -> bool:
    """Whether the account's alert has a row (posted, being posted, or claimed by a process that died)."""
    async with db.session() as session:
        return await session.scalar(select(Notice.kind).where(_key(account))) is not None


async def standing(db: Database, account: str, at: datetime) -> bool:
    """Whether the account's alert stands: posted, or being posted by a process within its lease."""
    live = Notice.posted_at.is_not(None) | (Notice.claimed_until >= at)
    async with db.session() as session:
        return await session.scalar(select(Notice.kind).where(_key(account), live)) is not None


async def claim(db: Database, account: str, balance: Decimal, at: datetime, lease: timedelta) -> bool:
    """Whether this process is the one to post the alert: one statement inserts the row, or
    takes over a claim whose process never posted (it died) once its lease is over; any other
    process finds the row and gets nothing back."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(_notices)
        .values(account=account, kind=KIND, period="", claimed_until=at + lease, detail=str(balance))
        .on_conflict_do_update(
            index_elements=[_notices.c.account, _notices.c.kind, _notices.c.period],
            set_={"claimed_until": at + lease, "detail": str(balance)},
            where=_notices.c.posted_at.is_(None) & (_notices.c.claimed_until < at),
        )
        .returning(_notices.c.account)
    )
    async with db.session.begin() as session:
        return (await session.execute(statement)).first() is not None


async def posted(db: Database, account: str, at: datetime) -> None:
    async with db.session.begin() as session:
        await session.execute(update(Notice).where(_key(account)).values(posted_at=at))


async def release(db: Database, account: str) -> None:
    """The alert could not be posted: the next check tries again."""
    async with db.session.begin() as session:
        await session.execute(delete(Notice).where(_key(account), Notice.posted_at.is_(None)))


async def clear(db: Database, account: str) -> None:
    """The balance is back at or above the threshold: the next fall is alerted again."""
    async with db.session.begin() as session:
        await session.execute(delete(Notice).where(_key(account)))
