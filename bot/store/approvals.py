"""Approvals: a send waiting for an admin's decision, taken exactly once."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from bot.domain.states import ApprovalState
from bot.store.db import Database, now
from bot.store.tables import Approval


async def create_approval(
    db: Database,
    *,
    team_id: str,
    requester_id: str,
    channel_id: str,
    payload: dict[str, Any],
    recipients: int,
    estimated_cost: Decimal | None,
    expires_after: timedelta,
) -> str:
    approval_id = uuid.uuid4().hex
    created = now()
    async with db.session.begin() as session:
        session.add(
            Approval(
                id=approval_id,
                team_id=team_id,
                requester_id=requester_id,
                channel_id=channel_id,
                payload=json.dumps(payload),
                recipients=recipients,
                estimated_cost=estimated_cost,
                state=ApprovalState.PENDING,
                created_at=created,
                expires_at=created + expires_after,
            )
        )
    return approval_id


async def set_message(db: Database, approval_id: str, channel: str, ts: str) -> None:
    async with db.session.begin() as session:
        await session.execute(
            update(Approval).where(Approval.id == approval_id).values(message_channel=channel, message_ts=ts)
        )


async def get_approval(db: Database, approval_id: str) -> Approval | None:
    async with db.session() as session:
        return await session.get(Approval, approval_id)


async def decide(
    db: Database, approval_id: str, admin_id: str, approve: bool, at: datetime
) -> Approval | None:
    """Take the decision if the approval is still pending and not expired; None otherwise.

    One UPDATE guarded by `state = pending`: of two admins clicking at once, one wins.
    """
    state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
    async with db.session.begin() as session:
        won = await session.execute(
            update(Approval)
            .where(
                Approval.id == approval_id, Approval.state == ApprovalState.PENDING, Approval.expires_at > at
            )
            .values(state=state, decided_by=admin_id, decided_at=at)
            .returning(Approval.id)
        )
        if won.first() is None:
            return None
        return await session.get(Approval, approval_id)


async def expire_due(db: Database, at: datetime) -> list[Approval]:
    """Pending approvals past their time become Expired (never sent); returns them."""
    async with db.session.begin() as session:
        ids = (
            await session.execute(
                update(Approval)
                .where(Approval.state == ApprovalState.PENDING, Approval.expires_at <= at)
                .values(state=ApprovalState.EXPIRED, decided_at=at)
                .returning(Approval.id)
            )
        ).all()
        if not ids:
            return []
        return list(await session.scalars(select(Approval).where(Approval.id.in_([i for (i,) in ids]))))
