"""A workspace's sending over a period, from the app's own tables: counts per country, status and
code, and a bounded sample of report delays (medians are taken in Python, the same on SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Subquery, func, select

from bot.domain.states import NumberStatus, SendState
from bot.store.app_home import aware
from bot.store.db import Database
from bot.store.models import PeriodStats, SentOutcome
from bot.store.tables import Recipient, Send

WENT_OUT = (SendState.ACCEPTED, SendState.PARTLY_ACCEPTED, SendState.UNKNOWN, SendState.SENDING)
"""Sends that reached the platform (or are reaching it)."""
DELAY_SAMPLE = 20_000
"""Report delays read at most (the newest): enough for a median, small enough to read at once."""
NO_COUNTRY = "??"


def _sends(team_id: str, since: datetime, until: datetime) -> Subquery:
    """The workspace's sends that went out in [since, until), with when they went."""
    goes_out = func.coalesce(Send.scheduled_at, Send.created_at)  # a scheduled send: when it went
    return (
        select(Send.id, goes_out.label("sent_at"))
        .where(
            Send.team_id == team_id,
            goes_out >= since,
            goes_out < until,
            Send.state.in_(WENT_OUT),
        )
        .subquery()
    )


async def period_stats(db: Database, team_id: str, since: datetime, until: datetime) -> PeriodStats:
    sends = _sends(team_id, since, until)
    async with db.session() as session:
        count, spend = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(Send.estimated_cost), 0)).where(
                    Send.id.in_(select(sends.c.id))
                )
            )
        ).one()
        groups = await session.execute(
            select(Recipient.region, Recipient.status, Recipient.code, func.count())
            .join(sends, sends.c.id == Recipient.send_id)
            .group_by(Recipient.region, Recipient.status, Recipient.code)
        )
        delays = await session.execute(
            select(Recipient.region, sends.c.sent_at, Recipient.updated_at)
            .join(sends, sends.c.id == Recipient.send_id)
            .where(
                Recipient.status.in_([NumberStatus.DELIVERED, NumberStatus.FAILED]),
                Recipient.updated_at.is_not(None),  # a number settled without a time has no delay
            )
            .order_by(Recipient.id.desc())
            .limit(DELAY_SAMPLE)
        )
        stats = PeriodStats(sends=int(count), spend=Decimal(str(spend)))
        for region, status, code, n in groups.all():
            stats.add(region or NO_COUNTRY, status, code, int(n))
        for region, sent_at, reported_at in delays.all():
            delay = aware(reported_at) - aware(sent_at)  # type: ignore[operator]
            stats.delays.setdefault(region or NO_COUNTRY, []).append(max(delay, timedelta(0)))
    return stats


async def send_outcomes(db: Database, team_id: str, since: datetime, until: datetime) -> list[SentOutcome]:
    """The period's numbers counted per send, country and status, with when each send went out:
    the caller puts them into days in its own timezone (one query for SQLite and PostgreSQL,
    whose date functions differ)."""
    sends = _sends(team_id, since, until)
    async with db.session() as session:
        rows = await session.execute(
            select(sends.c.sent_at, Recipient.region, Recipient.status, func.count())
            .join(sends, sends.c.id == Recipient.send_id)
            .group_by(sends.c.id, sends.c.sent_at, Recipient.region, Recipient.status)
        )
        return [
            SentOutcome(aware(sent_at), region or NO_COUNTRY, status, int(n))  # type: ignore[arg-type]
            for sent_at, region, status, n in rows.all()
        ]
