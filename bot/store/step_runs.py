"""Workflow Builder step runs, each taken once and ended once, and what the steps read of sends:
what a send went to (its msgids, the numbers accepted and refused) and the delivery counts of
msgids."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.domain.states import NumberStatus
from bot.store.db import Database, now
from bot.store.tables import Recipient, Send, StepRun

_runs = cast(Table, StepRun.__table__)

COMPLETED = "completed"
FAILED = "failed"


async def take(
    db: Database, execution_id: str, team_id: str, step: str, workflow_run: str | None, token: str
) -> bool:
    """Start the run, keeping its workflow token until it ends (an admin's decision may end it,
    in any process); False when it was started before (Slack delivered its event again, to this
    process or another one)."""
    row = {
        "execution_id": execution_id,
        "team_id": team_id,
        "step": step,
        "workflow_run": workflow_run,
        "started_at": now(),
        "token": token,
    }

    def insert(connection: Connection) -> bool:
        dialect_insert = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
        statement = dialect_insert(_runs).values(row).on_conflict_do_nothing()
        return connection.execute(statement.returning(_runs.c.execution_id)).first() is not None

    return await db.write(insert)


@dataclass(frozen=True)
class Ended:
    """The run was still going and is now ended; `token` is the one kept for it, if any."""

    token: str | None


async def end(
    db: Database, execution_id: str, outputs: dict[str, Any] | None, error: str | None
) -> Ended | None:
    """End the run with its outputs or its error, once; None if it had ended already (or was
    never taken). Its kept token is cleared."""
    async with db.session.begin() as session:
        token = (
            await session.execute(
                select(StepRun.token)
                .where(StepRun.execution_id == execution_id, StepRun.ended_at.is_(None))
                .with_for_update()
            )
        ).first()
        if token is None:
            return None
        await session.execute(
            update(StepRun)
            .where(StepRun.execution_id == execution_id)
            .values(
                ended_at=now(),
                outcome=FAILED if error is not None else COMPLETED,
                detail=error if error is not None else json.dumps(outputs),
                token=None,
            )
        )
        return Ended(token[0])


@dataclass(frozen=True)
class SentTo:
    """What a send went to: the platform's msgids, the numbers it accepted, and the numbers it
    refused or lost with their code."""

    msgids: list[str]
    accepted: int
    refused: list[tuple[str, str, str | None]]
    """(number, status, code)."""


async def sent_to(db: Database, send_id: int) -> SentTo:
    return await db.read(partial(_sent_to, send_id))


def _sent_to(send_id: int, connection: Connection) -> SentTo:
    rows = connection.execute(
        select(Recipient.number, Recipient.status, Recipient.code, Recipient.msgid)
        .where(Recipient.send_id == send_id)
        .order_by(Recipient.id)
    ).all()
    msgids = list(dict.fromkeys(msgid for _, _, _, msgid in rows if msgid))
    accepted = sum(1 for _, _, _, msgid in rows if msgid)
    refused = [(number, status, code) for number, status, code, msgid in rows if not msgid]
    return SentTo(msgids, accepted, refused)


async def delivery_counts(db: Database, team_id: str, msgids: list[str]) -> dict[str, Counter[str]]:
    """The workspace's numbers of each msgid, counted by status (msgids it has none of are left out)."""
    return await db.read(partial(_delivery_counts, team_id, msgids))


def _delivery_counts(team_id: str, msgids: list[str], connection: Connection) -> dict[str, Counter[str]]:
    rows = connection.execute(
        select(Recipient.msgid, Recipient.status, func.count())
        .join(Send, Send.id == Recipient.send_id)
        .where(Send.team_id == team_id, Recipient.msgid.in_(msgids))
        .group_by(Recipient.msgid, Recipient.status)
    ).all()
    counts: dict[str, Counter[str]] = {}
    for msgid, status, n in rows:
        counts.setdefault(str(msgid), Counter())[NumberStatus(status)] += n
    return counts
