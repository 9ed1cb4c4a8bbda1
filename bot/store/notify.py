"""What the notifier needs of the store: claims on sends with news, failures to announce."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update

from bot.store.db import Database
from bot.store.tables import Inbound, NumberStatus, Recipient, Send


@dataclass(frozen=True)
class Claim:
    send_id: int
    change_seq: int


@dataclass(frozen=True)
class Failure:
    id: int
    number: str
    code: str | None


async def claim_dirty(db: Database, limit: int, lease: timedelta, now: datetime) -> list[Claim]:
    """Claim sends whose message must be shown again; another process skips what we hold."""
    conditions = (
        Send.dirty_since.is_not(None),
        (Send.claimed_until.is_(None)) | (Send.claimed_until < now),
        (Send.not_before.is_(None)) | (Send.not_before <= now),
    )
    if not await _any(db, select(Send.id).where(*conditions)):
        return []
    ready = (
        select(Send.id)
        .where(*conditions)
        .order_by(Send.dirty_since)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with db.session.begin() as session:
        rows = await session.execute(
            update(Send)
            .where(Send.id.in_(ready.scalar_subquery()))
            .values(claimed_until=now + lease)
            .returning(Send.id, Send.change_seq)
        )
        return [Claim(send_id, seq) for send_id, seq in rows.all()]


async def unannounced_failures(db: Database, send_id: int, limit: int) -> list[Failure]:
    async with db.session() as session:
        rows = await session.execute(
            select(Recipient.id, Recipient.number, Recipient.code)
            .where(
                Recipient.send_id == send_id,
                Recipient.status == NumberStatus.FAILED,
                Recipient.announced.is_(False),
            )
            .order_by(Recipient.id)
            .limit(limit)
        )
        return [Failure(*row) for row in rows.all()]


async def mark_announced(db: Database, ids: list[int]) -> None:
    async with db.session.begin() as session:
        await session.execute(update(Recipient).where(Recipient.id.in_(ids)).values(announced=True))


async def settle(db: Database, claim: Claim, done: bool) -> None:
    """Shown: clear `dirty` unless something changed meanwhile (or more is left to show)."""
    async with db.session.begin() as session:
        if done:
            cleared = await session.execute(
                update(Send)
                .where(Send.id == claim.send_id, Send.change_seq == claim.change_seq)
                .values(dirty_since=None, claimed_until=None, not_before=None, notify_attempts=0)
                .returning(Send.id)
            )
            if cleared.first() is not None:
                return
        await session.execute(
            update(Send)
            .where(Send.id == claim.send_id)
            .values(claimed_until=None, not_before=None, notify_attempts=0)
        )


async def defer(db: Database, send_id: int, until: datetime, failed: bool) -> None:
    """Not now: release the claim and keep the send dirty until `until`."""
    values: dict[str, object] = {"claimed_until": None, "not_before": until}
    if failed:
        values["notify_attempts"] = Send.notify_attempts + 1
    async with db.session.begin() as session:
        await session.execute(update(Send).where(Send.id == send_id).values(**values))


async def attempts(db: Database, send_id: int) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(Send.notify_attempts).where(Send.id == send_id)) or 0)


async def claim_inbound(db: Database, limit: int, lease: timedelta, now: datetime) -> list[Inbound]:
    conditions = (
        Inbound.posted_at.is_(None),
        (Inbound.claimed_until.is_(None)) | (Inbound.claimed_until < now),
    )
    if not await _any(db, select(Inbound.id).where(*conditions)):
        return []
    ready = (
        select(Inbound.id)
        .where(*conditions)
        .order_by(Inbound.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with db.session.begin() as session:
        ids = [
            row[0]
            for row in (
                await session.execute(
                    update(Inbound)
                    .where(Inbound.id.in_(ready.scalar_subquery()))
                    .values(claimed_until=now + lease)
                    .returning(Inbound.id)
                )
            ).all()
        ]
        if not ids:
            return []
        return list(await session.scalars(select(Inbound).where(Inbound.id.in_(ids)).order_by(Inbound.id)))


async def mark_inbound_posted(db: Database, inbound_id: int, now: datetime) -> None:
    async with db.session.begin() as session:
        await session.execute(update(Inbound).where(Inbound.id == inbound_id).values(posted_at=now))


async def _any(db: Database, query: Select[Any]) -> bool:
    """A read before a claim: most passes find nothing, and a read takes no write lock."""
    async with db.session() as session:
        return await session.scalar(query.limit(1)) is not None
