"""Notices the app posts on its own (`notices`: the weekly digest, the low-balance alert), each
once per account, kind and period however many processes run: claimed with a lease before it is
posted, marked posted after. A process that died posting leaves its claim to run out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Connection, Table, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.store.app_home import aware
from bot.store.db import Database
from bot.store.tables import Notice

_notices = cast(Table, Notice.__table__)


def key(account: str, kind: str, period: str) -> list[ColumnElement[bool]]:
    return [Notice.account == account, Notice.kind == kind, Notice.period == period]


def add(connection: Connection, account: str, kind: str, period: str, **values: object) -> None:
    """The row, unless it exists."""
    dialect_insert = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    row = {"account": account, "kind": kind, "period": period, **values}
    connection.execute(dialect_insert(_notices).values(row).on_conflict_do_nothing())


async def claim(
    db: Database,
    account: str,
    kind: str,
    period: str,
    at: datetime,
    lease: timedelta,
    detail: str | None = None,
) -> bool:
    """Take the notice for posting until `at + lease`: True for exactly one claimant while it is
    neither posted nor held by another (whose lease has not run out: it may still be posting).
    `detail`: what it is about to say, kept with the claim."""
    values: dict[str, object] = {"claimed_until": at + lease}
    if detail is not None:
        values["detail"] = detail

    def take(connection: Connection) -> bool:
        add(connection, account, kind, period)
        taken = connection.execute(
            update(Notice)
            .where(
                *key(account, kind, period),
                Notice.posted_at.is_(None),
                or_(Notice.claimed_until.is_(None), Notice.claimed_until < at),
            )
            .values(values)
        )
        return taken.rowcount == 1

    return await db.write(take)


async def mark_posted(
    db: Database, account: str, kind: str, period: str, at: datetime, detail: str | None = None
) -> None:
    values: dict[str, object] = {"posted_at": at}
    if detail is not None:
        values["detail"] = detail

    def mark(connection: Connection) -> None:
        connection.execute(update(Notice).where(*key(account, kind, period)).values(values))

    await db.write(mark)


async def posted_at(db: Database, account: str, kind: str, period: str) -> datetime | None:
    async with db.session() as session:
        found = await session.scalar(select(Notice.posted_at).where(*key(account, kind, period)))
    return aware(found)
