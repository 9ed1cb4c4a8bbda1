"""Storing what the platform reports: idempotent, monotonic, and in batches."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.santo.reports import StatusReport
from bot.store.db import Database
from bot.store.tables import BadCallback, Inbound, NumberStatus, Recipient, Report, Send

log = logging.getLogger(__name__)

REPORTABLE = (NumberStatus.PENDING, NumberStatus.NO_REPORT)
"""Statuses a report may move a number from. No report is our guess, not the platform's word."""

_recipients = cast(Table, Recipient.__table__)
_sends = cast(Table, Send.__table__)
_reports = cast(Table, Report.__table__)

# Built once: a report batch runs these on every commit.
_APPLY = (
    update(_recipients)
    .where(
        _recipients.c.msgid == bindparam("m"),
        _recipients.c.number == bindparam("n"),
        or_(*(_recipients.c.status == status for status in REPORTABLE)),  # no IN: executemany
    )
    .values(status=bindparam("s"), code=bindparam("c"), updated_at=bindparam("t"))
)
_MARK_DIRTY_BY_MSGID = (
    update(_sends)
    .where(
        _sends.c.id.in_(
            select(_recipients.c.send_id)
            .where(_recipients.c.msgid.in_(bindparam("msgids", expanding=True)))
            .scalar_subquery()
        )
    )
    .values(
        change_seq=_sends.c.change_seq + 1,
        dirty_since=func.coalesce(_sends.c.dirty_since, bindparam("now")),
    )
)


@dataclass(frozen=True)
class Callback:
    """One callback request as the report route understood it."""

    raw: str
    report: StatusReport | None = None
    bad_reason: str | None = None
    command: str | None = None
    """Set for callbacks of other commands (inbound messages)."""


@dataclass(frozen=True)
class Outcome:
    msgid: str
    number: str
    value: str
    code: str

    @property
    def status(self) -> NumberStatus:
        return NumberStatus.DELIVERED if self.value == "0" else NumberStatus.FAILED


async def store_callbacks(db: Database, callbacks: Sequence[Callback], now: datetime) -> None:
    """Write a batch of callbacks in one transaction (the report route's group commit)."""
    async with db.session.begin() as session:
        reports = [c for c in callbacks if c.report is not None]
        if reports:
            rows: dict[tuple[str, str, str, str], str] = {}
            for c in reports:
                assert c.report is not None
                r = c.report
                rows.setdefault((r.msgid, r.number, r.value, r.code), c.raw)
            new = await insert_reports(session, db.is_sqlite, rows, now)
            await apply_outcomes(session, new, now)
        bad = [{"raw": c.raw, "reason": c.bad_reason, "received_at": now} for c in callbacks if c.bad_reason]
        if bad:
            await session.execute(insert(BadCallback), bad)
        inbound = [{"raw": c.raw, "command": c.command, "received_at": now} for c in callbacks if c.command]
        if inbound:
            await session.execute(insert(Inbound), inbound)


async def insert_reports(
    session: AsyncSession, sqlite: bool, rows: dict[tuple[str, str, str, str], str], now: datetime
) -> list[Outcome]:
    """Insert reports not seen before; return only those that are new."""
    params = [  # in key order: two processes writing the same reports cannot deadlock
        {"msgid": m, "number": n, "value": v, "code": c, "raw": raw, "received_at": now}
        for (m, n, v, c), raw in sorted(rows.items(), key=lambda item: item[0][:2])
    ]
    new_rows = sqlite_insert(_reports) if sqlite else pg_insert(_reports)
    statement = new_rows.on_conflict_do_nothing().returning(
        _reports.c.msgid, _reports.c.number, _reports.c.value, _reports.c.code
    )
    # Core statements on the session's connection: the ORM's bulk machinery is not needed here
    # and costs most of a batch's time.
    result = await (await session.connection()).execute(statement, params)
    return [Outcome(*row) for row in result.all()]


async def apply_outcomes(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Move numbers forward; the database enforces "first final status wins"."""
    if not outcomes:
        return
    # Key order (stable: a number's reports keep their arrival order, so the first final wins).
    outcomes = sorted(outcomes, key=lambda o: (o.msgid, o.number))
    applied = await (await session.connection()).execute(
        _APPLY, [{"m": o.msgid, "n": o.number, "s": o.status, "c": o.code, "t": now} for o in outcomes]
    )
    await mark_dirty_by_msgid(session, {o.msgid for o in outcomes}, now)
    if applied.rowcount != len(outcomes):  # not all applied, or no count: say why
        await _log_conflicts(session, outcomes)


async def _log_conflicts(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    wanted = {(o.msgid, o.number): o for o in outcomes}
    rows = await session.execute(
        select(Recipient.msgid, Recipient.number, Recipient.status, Recipient.code).where(
            Recipient.msgid.in_({o.msgid for o in outcomes}),
            Recipient.number.in_({o.number for o in outcomes}),
        )
    )
    for msgid, number, status, code in rows.all():
        outcome = wanted.get((msgid or "", number))
        if (
            outcome
            and (status, code or "") != (outcome.status, outcome.code)
            and status != NumberStatus.PENDING
        ):
            log.warning(
                "conflicting report for msgid %s number %s ignored: %s %s, kept %s %s",
                msgid,
                number,
                outcome.value,
                outcome.code,
                status,
                code,
            )


async def mark_dirty_by_msgid(session: AsyncSession, msgids: Iterable[str], now: datetime) -> None:
    await (await session.connection()).execute(_MARK_DIRTY_BY_MSGID, {"msgids": list(msgids), "now": now})


async def mark_dirty(session: AsyncSession, send_ids: object, now: datetime) -> None:
    """Tell the notifier these sends' messages must be shown again."""
    await (await session.connection()).execute(
        update(_sends)
        .where(_sends.c.id.in_(send_ids))  # type: ignore[arg-type]
        .values(change_seq=_sends.c.change_seq + 1, dirty_since=func.coalesce(_sends.c.dirty_since, now))
    )


async def apply_stored_reports(session: AsyncSession, msgids: Iterable[str], now: datetime) -> None:
    """Apply reports that arrived before their msgid was stored (the submit answer lost the race)."""
    rows = await session.execute(
        select(Report.msgid, Report.number, Report.value, Report.code)
        .where(Report.msgid.in_(list(msgids)))
        .order_by(Report.id)
    )
    await apply_outcomes(session, [Outcome(*row) for row in rows.all()], now)


async def sweep_orphans(db: Database, now: datetime, limit: int = 500) -> int:
    """Apply stored reports whose numbers are still waiting: closes every race for good."""
    async with db.session.begin() as session:
        rows = await session.execute(
            select(Report.msgid, Report.number, Report.value, Report.code)
            .join(Recipient, (Recipient.msgid == Report.msgid) & (Recipient.number == Report.number))
            .where(Recipient.status.in_(REPORTABLE))
            .order_by(Report.id)
            .limit(limit)
        )
        outcomes = [Outcome(*row) for row in rows.all()]
        await apply_outcomes(session, outcomes, now)
        return len(outcomes)
