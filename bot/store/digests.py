"""The weekly digest's notice rows (kind `digest`, period the ISO week), each claimed with a lease
before it is posted and marked posted after, and the stats chart kept per account and day (kind
`chart`): both in the `notices` table."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Connection, Table, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.store.app_home import aware
from bot.store.db import Database
from bot.store.tables import Notice

DIGEST = "digest"
CHART = "chart"

_notices = cast(Table, Notice.__table__)


def _add(connection: Connection, account: str, kind: str, period: str, **values: object) -> None:
    """The row, unless it exists."""
    dialect_insert = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    row = {"account": account, "kind": kind, "period": period, **values}
    connection.execute(dialect_insert(_notices).values(row).on_conflict_do_nothing())


def _key(account: str, kind: str, period: str) -> list[ColumnElement[bool]]:
    return [Notice.account == account, Notice.kind == kind, Notice.period == period]


async def claim(db: Database, account: str, kind: str, period: str, at: datetime, lease: timedelta) -> bool:
    """Take the notice for posting until `at + lease`: True for exactly one claimant while it is
    neither posted nor held by another (whose lease has not run out: it may still be posting)."""

    def take(connection: Connection) -> bool:
        _add(connection, account, kind, period)
        taken = connection.execute(
            update(Notice)
            .where(
                *_key(account, kind, period),
                Notice.posted_at.is_(None),
                or_(Notice.claimed_until.is_(None), Notice.claimed_until < at),
            )
            .values(claimed_until=at + lease)
        )
        return taken.rowcount == 1

    return await db.write(take)


async def mark_posted(db: Database, account: str, kind: str, period: str, at: datetime, detail: str) -> None:
    def mark(connection: Connection) -> None:
        connection.execute(
            update(Notice).where(*_key(account, kind, period)).values(posted_at=at, detail=detail)
        )

    await db.write(mark)


async def posted_at(db: Database, account: str, kind: str, period: str) -> datetime | None:
    async with db.session() as session:
        found = await session.scalar(select(Notice.posted_at).where(*_key(account, kind, period)))
    return aware(found)


def chart_period(day: str, language: str) -> str:
    """A kept chart's period: its day (ISO date) and the language of its labels."""
    return f"{day}/{language}"


async def chart_file(db: Database, account: str, day: str, language: str) -> tuple[str, datetime] | None:
    """The file id of the chart kept for the day and language, and when it was kept; None if none."""
    period = chart_period(day, language)
    async with db.session() as session:
        found = (
            await session.execute(
                select(Notice.detail, Notice.posted_at).where(*_key(account, CHART, period))
            )
        ).first()
    kept = aware(found.posted_at) if found is not None else None
    if found is None or found.detail is None or kept is None:
        return None
    return str(found.detail), kept


async def keep_chart_file(
    db: Database, account: str, day: str, language: str, file_id: str, at: datetime
) -> str:
    """Keep `file_id` as the chart of the day and language, unless another process kept one
    first: the one kept is returned (every Home tab of the day shows the same file). The
    account's charts of earlier days are forgotten."""
    period = chart_period(day, language)

    def keep(connection: Connection) -> str:
        connection.execute(
            delete(Notice).where(Notice.account == account, Notice.kind == CHART, Notice.period < day)
        )
        _add(connection, account, CHART, period, detail=file_id, posted_at=at)
        kept = connection.execute(select(Notice.detail).where(*_key(account, CHART, period))).scalar()
        return str(kept or file_id)

    return await db.write(keep)
