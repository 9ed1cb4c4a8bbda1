"""The audit trail, and what was spent today (for the daily caps)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from bot.domain.send_request import SendRequest
from bot.domain.states import SendState
from bot.i18n import Msg
from bot.store.db import Database, now
from bot.store.models import Usage
from bot.store.tables import Approval, AuditEntry, Send


class Action:
    SEND = "send"
    REFUSED = "refused"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    AUDIT_EXPORT = "audit_export"
    RESULTS_EXPORT = "results_export"
    CANCELLED = "cancelled"
    OPT_OUT_ADDED = "opt_out_added"
    OPT_OUT_REMOVED = "opt_out_removed"


async def record(
    db: Database,
    *,
    team_id: str,
    user_id: str,
    action: str,
    channel_id: str | None = None,
    recipients: int | None = None,
    estimated_cost: Decimal | None = None,
    outcome: str | None = None,
    detail: str | None = None,
    send_id: int | None = None,
) -> None:
    async with db.session.begin() as session:
        session.add(
            AuditEntry(
                at=now(),
                team_id=team_id,
                user_id=user_id,
                action=action,
                channel_id=channel_id,
                recipients=recipients,
                estimated_cost=estimated_cost,
                outcome=outcome,
                detail=detail,
                send_id=send_id,
            )
        )


async def record_request(
    db: Database,
    request: SendRequest,
    action: str,
    cost: Decimal | None,
    *,
    outcome: str | None = None,
    detail: str | None = None,
    send_id: int | None = None,
) -> None:
    """What became of a send request: sent, refused, or put to an admin (a workflow step's
    says which step run asked)."""
    if request.step_run is not None:
        run = str(Msg.of("audit.step_run", run=request.step_run))
        detail = f"{detail}; {run}" if detail else run
    await record(
        db,
        team_id=request.team_id,
        user_id=request.user_id,
        action=action,
        channel_id=request.channel_id,
        recipients=len(request.numbers),
        estimated_cost=cost,
        outcome=outcome,
        detail=detail,
        send_id=send_id,
    )


async def record_decision(
    db: Database, about: Approval | Send, action: str, user_id: str, detail: str | None = None
) -> None:
    """What someone decided about an approval request or a scheduled send (the requester's name
    when an approval expired)."""
    await record(
        db,
        team_id=about.team_id,
        user_id=user_id,
        action=action,
        channel_id=about.channel_id,
        recipients=about.recipients,
        estimated_cost=about.estimated_cost,
        detail=detail,
        send_id=about.id if isinstance(about, Send) else None,
    )


async def entries_since(db: Database, team_id: str, since: datetime) -> list[AuditEntry]:
    async with db.session() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.team_id == team_id, AuditEntry.at >= since)
            .order_by(AuditEntry.id)
        )
        return list(rows)


async def usage_on(
    db: Database,
    team_id: str,
    day: datetime,
    user_id: str | None = None,
    exclude_send_id: int | None = None,
) -> Usage:
    """Numbers and estimated cost of the sends of the day starting at `day` that were not refused
    outright. A send counts on the day it goes out: a scheduled one on its scheduled day, from
    the moment it is stored (its numbers are reserved) until it is refused or cancelled."""
    goes_out = func.coalesce(Send.scheduled_at, Send.created_at)
    query = select(
        func.coalesce(func.sum(Send.recipients), 0), func.coalesce(func.sum(Send.estimated_cost), 0)
    ).where(
        Send.team_id == team_id,
        goes_out >= day,
        goes_out < day + timedelta(days=1),
        Send.state.not_in([SendState.REJECTED, SendState.CANCELLED]),
    )
    if user_id is not None:
        query = query.where(Send.user_id == user_id)
    if exclude_send_id is not None:
        query = query.where(Send.id != exclude_send_id)
    async with db.session() as session:
        recipients, cost = (await session.execute(query)).one()
    return Usage(int(recipients), Decimal(str(cost)))
