"""Scheduled sends: claimed once when due, cancellable until then; sends stuck half way."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update

from bot.domain.numbers import NumberError, PhoneNumber, parse_number
from bot.domain.states import NumberStatus, SendState
from bot.i18n import Msg
from bot.store.db import Database
from bot.store.reports import mark_dirty
from bot.store.tables import Recipient, Send

STUCK = Msg.of("send.detail.stuck").to_json()
"""The detail of a send a crash left half way (see `bot.store.sends.detail_text`)."""


async def claim_due(db: Database, at: datetime, limit: int = 10) -> list[int]:
    """Scheduled sends whose time has come, moved to Sending: each is claimed by one process once."""
    due = (
        select(Send.id)
        .where(Send.state == SendState.SCHEDULED, Send.scheduled_at <= at)
        .order_by(Send.scheduled_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with db.session.begin() as session:
        rows = await session.execute(
            update(Send)
            .where(Send.id.in_(due.scalar_subquery()), Send.state == SendState.SCHEDULED)
            .values(state=SendState.SENDING)
            .returning(Send.id)
        )
        return [send_id for (send_id,) in rows.all()]


async def cancel(db: Database, send_id: int, user_id: str, at: datetime) -> bool:
    """Cancel a send that has not gone yet; False when it already went (or was cancelled)."""
    return bool(await _cancel(db, Send.id == send_id, user_id, at))


LEFT = "left"
"""`cancelled_by` of the sends cancelled because their workspace uninstalled the app."""


async def cancel_all(db: Database, team_id: str, at: datetime) -> int:
    """Cancel every send of the workspace that has not gone yet; how many."""
    return await _cancel(db, Send.team_id == team_id, LEFT, at)


async def _cancel(db: Database, which: ColumnElement[bool], by: str, at: datetime) -> int:
    """Cancel the scheduled sends `which` selects: their numbers are Not sent, their messages
    shown again. How many."""
    async with db.session.begin() as session:
        rows = await session.execute(
            update(Send)
            .where(which, Send.state == SendState.SCHEDULED)
            .values(state=SendState.CANCELLED, cancelled_by=by)
            .returning(Send.id)
        )
        ids = [send_id for (send_id,) in rows.all()]
        if ids:
            await session.execute(
                update(Recipient)
                .where(Recipient.send_id.in_(ids))
                .values(status=NumberStatus.NOT_SENT, updated_at=at)
            )
            await mark_dirty(session, ids, at)
        return len(ids)


async def numbers_of(db: Database, send_id: int) -> tuple[PhoneNumber, ...]:
    async with db.session() as session:
        msisdns = await session.scalars(
            select(Recipient.number).where(Recipient.send_id == send_id).order_by(Recipient.id)
        )
        numbers = []
        for msisdn in msisdns:
            try:
                numbers.append(parse_number("+" + msisdn))
            except NumberError:
                numbers.append(PhoneNumber(msisdn, "", "+" + msisdn))
        return tuple(numbers)


async def refuse(db: Database, send_id: int, reason: Msg, at: datetime) -> None:
    """Not sent at its time (caps, balance): `reason` said in its message; nothing was sent."""
    detail = Msg.of("send.detail.not_on_time", reason=reason).to_json()
    async with db.session.begin() as session:
        await session.execute(
            update(Send).where(Send.id == send_id).values(state=SendState.REJECTED, detail=detail)
        )
        await session.execute(
            update(Recipient)
            .where(Recipient.send_id == send_id, Recipient.status == NumberStatus.QUEUED)
            .values(status=NumberStatus.NOT_SENT, updated_at=at)
        )
        await mark_dirty(session, [send_id], at)


async def recover_stuck(db: Database, older_than: timedelta, at: datetime) -> int:
    """Sends left half way by a crash: numbers never answered become Unknown (never resent)."""
    cutoff = at - older_than
    async with db.session.begin() as session:
        rows = await session.execute(
            update(Send)
            .where(
                Send.state == SendState.SENDING,
                func.coalesce(Send.scheduled_at, Send.created_at) < cutoff,
                Send.submit_lease.is_(None),  # resumable sends are resumed instead (bot.sending.file_send)
            )
            .values(
                state=SendState.UNKNOWN,
                detail=STUCK,
            )
            .returning(Send.id)
        )
        ids = [send_id for (send_id,) in rows.all()]
        if ids:
            await session.execute(
                update(Recipient)
                .where(Recipient.send_id.in_(ids), Recipient.status == NumberStatus.QUEUED)
                .values(status=NumberStatus.UNKNOWN, updated_at=at)
            )
            await mark_dirty(session, ids, at)
        return len(ids)
