"""The stats chart kept per account, day and language (`notices`, kind `chart`), and the weekly
digest's kind (`digest`, period the ISO week; claimed and marked with `bot.store.notices`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select

from bot.store.app_home import aware
from bot.store.db import Database
from bot.store.notices import add, key
from bot.store.tables import Notice

DIGEST = "digest"
CHART = "chart"


def chart_period(day: str, language: str) -> str:
    """A kept chart's period: its day (ISO date) and the language of its labels."""
    return f"{day}/{language}"


async def chart_file(db: Database, account: str, day: str, language: str) -> tuple[str, datetime] | None:
    """The file id of the chart kept for the day and language, and when it was kept; None if none."""
    period = chart_period(day, language)
    async with db.session() as session:
        found = (
            await session.execute(
                select(Notice.detail, Notice.posted_at).where(*key(account, CHART, period))
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
        add(connection, account, CHART, period, detail=file_id, posted_at=at)
        kept = connection.execute(select(Notice.detail).where(*key(account, CHART, period))).scalar()
        return str(kept or file_id)

    return await db.write(keep)
