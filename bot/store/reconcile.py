"""What the reconciler needs of the store: numbers waiting too long for their report, and the
sends that can no longer have any (`sends.waiting`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select, update

from bot.domain.states import AWAITING_OUTCOME, NumberStatus, SendState
from bot.store.db import Database
from bot.store.reports import mark_dirty, of_waiting_sends
from bot.store.tables import Recipient, Send

STILL_SENDING = (SendState.POSTING, SendState.SENDING, SendState.SCHEDULED)
"""A send's states in which numbers may still be stored or submitted."""


async def claim_msgids_to_poll(
    db: Database, older_than: timedelta, now: datetime, limit: int
) -> list[tuple[str, str]]:
    """(account, msgid) with numbers Pending since before `now - older_than` and not polled since."""
    cutoff = now - older_than
    waiting = (
        select(Recipient.id)
        .where(
            of_waiting_sends(),
            Recipient.status == NumberStatus.PENDING,
            Recipient.updated_at < cutoff,
            (Recipient.polled_at.is_(None)) | (Recipient.polled_at < cutoff),
        )
        .order_by(Recipient.updated_at)
        .limit(limit * 100)
        .with_for_update(skip_locked=True)
    )
    async with db.session.begin() as session:
        rows = await session.execute(
            update(Recipient)
            .where(Recipient.id.in_(waiting.scalar_subquery()))
            .values(polled_at=now)
            .returning(Recipient.account, Recipient.msgid)
        )
        msgids = list(dict.fromkeys((a, m) for a, m in rows.all() if m))
    return msgids[:limit]


async def give_up(db: Database, older_than: timedelta, now: datetime) -> int:
    """Numbers Pending for longer than `older_than` become No report."""
    async with db.session.begin() as session:
        rows = await session.execute(
            update(Recipient)
            .where(
                of_waiting_sends(),
                Recipient.status == NumberStatus.PENDING,
                Recipient.updated_at < now - older_than,
            )
            .values(status=NumberStatus.NO_REPORT, updated_at=now)
            .returning(Recipient.send_id)
        )
        send_ids = {send_id for (send_id,) in rows.all()}
        if send_ids:
            await mark_dirty(session, list(send_ids), now)
        return len(send_ids)


async def stop_waiting(db: Database) -> int:
    """Sends done sending with no number Queued, being submitted or Pending stop waiting (a
    number never moves back); how many."""
    open_number = exists().where(Recipient.send_id == Send.id, Recipient.status.in_(AWAITING_OUTCOME))
    async with db.session.begin() as session:
        result = await session.execute(
            update(Send)
            .where(Send.waiting, Send.state.not_in(STILL_SENDING), ~open_number)
            .values(waiting=False)
            .returning(Send.id)
        )
        return len(result.all())
