"""The low-balance alert's notice row (`notices`, kind `low_balance`, period `""`): it exists
while the alert stands. Claiming it (`notices.claim`) is how one process, of however many, posts it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, delete, select

from bot.store import notices
from bot.store.db import Database
from bot.store.tables import Notice

KIND = "low_balance"


def _key(account: str) -> list[ColumnElement[bool]]:
    return notices.key(account, KIND, "")


async def kept(db: Database, account: str) -> bool:
    """Whether the account's alert has a row (posted, being posted, or claimed by a process that died)."""
    async with db.session() as session:
        return await session.scalar(select(Notice.kind).where(*_key(account))) is not None


async def standing(db: Database, account: str, at: datetime) -> bool:
    """Whether the account's alert stands: posted, or being posted by a process within its lease."""
    live = Notice.posted_at.is_not(None) | (Notice.claimed_until >= at)
    async with db.session() as session:
        return await session.scalar(select(Notice.kind).where(*_key(account), live)) is not None


async def claim(db: Database, account: str, balance: Decimal, at: datetime, lease: timedelta) -> bool:
    """Whether this process is the one to post the alert (`notices.claim`): the balance it saw is
    kept with the claim."""
    return await notices.claim(db, account, KIND, "", at, lease, detail=str(balance))


async def posted(db: Database, account: str, at: datetime) -> None:
    await notices.mark_posted(db, account, KIND, "", at)


async def release(db: Database, account: str) -> None:
    """The alert could not be posted: the next check tries again."""
    async with db.session.begin() as session:
        await session.execute(delete(Notice).where(*_key(account), Notice.posted_at.is_(None)))


async def clear(db: Database, account: str) -> None:
    """The balance is back at or above the threshold: the next fall is alerted again."""
    async with db.session.begin() as session:
        await session.execute(delete(Notice).where(*_key(account)))
