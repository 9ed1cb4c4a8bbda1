"""What the App Home shows: a user's last sends with their counts, and the setup's health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.domain.states import NumberStatus
from bot.store.db import Database
from bot.store.models import Health, SendView
from bot.store.tables import BadCallback, Recipient, Report, Send


async def recent_sends(db: Database, team_id: str, user_id: str, limit: int = 10) -> list[SendView]:
    """The user's newest sends, newest first, each with its numbers counted by status."""
    async with db.session() as session:
        sends = list(
            await session.scalars(
                select(Send)
                .where(Send.team_id == team_id, Send.user_id == user_id)
                .order_by(Send.created_at.desc(), Send.id.desc())
                .limit(limit)
            )
        )
        if not sends:
            return []
        views = {send.id: SendView(send=send) for send in sends}
        rows = await session.execute(
            select(Recipient.send_id, Recipient.status, func.count())
            .where(Recipient.send_id.in_(list(views)))
            .group_by(Recipient.send_id, Recipient.status)
        )
        for send_id, status, count in rows.all():
            views[send_id].counts[status] += count
        singles = [send.id for send in sends if send.recipients == 1]
        if singles:
            numbers = await session.execute(
                select(Recipient.send_id, Recipient.number).where(Recipient.send_id.in_(singles))
            )
            for send_id, number in numbers.all():
                views[send_id].single_number = number
        return [views[send.id] for send in sends]




async def health(db: Database, team_id: str, since: datetime, now: datetime, poll_after: timedelta) -> Health:
    async with db.session() as session:
        reports, last = (
            await session.execute(
                select(func.count(), func.max(Report.received_at)).where(Report.received_at >= since)
            )
        ).one()
        bad = await session.scalar(select(func.count()).where(BadCallback.received_at >= since))
        pending_rows = (
            select(Recipient.updated_at)
            .join(Send, Send.id == Recipient.send_id)
            .where(Send.team_id == team_id, Send.waiting, Recipient.status == NumberStatus.PENDING)
            .subquery()
        )
        pending, overdue = (
            await session.execute(
                select(
                    func.count(),
                    func.count().filter(pending_rows.c.updated_at < now - poll_after),
                ).select_from(pending_rows)
            )
        ).one()
    return Health(
        reports=int(reports),
        last_report_at=aware(last),
        bad_callbacks=int(bad or 0),
        pending=int(pending),
        overdue=int(overdue),
    )


def aware(at: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)
