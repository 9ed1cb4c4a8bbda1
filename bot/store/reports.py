"""Storing what the platform reports: idempotent, monotonic, and in batches."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from sqlalchemy import Column, DateTime, String, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.opt_out import NO_WORDS, OptWords
from bot.domain.states import NumberStatus
from bot.santo.reports import StatusReport
from bot.santo.uplink import InboundSms
from bot.store.db import Database
from bot.store.inbound import write_messages
from bot.store.tables import BadCallback, Inbound, Recipient, Report, Send

log = logging.getLogger(__name__)

REPORTABLE = (NumberStatus.PENDING, NumberStatus.NO_REPORT)
"""Statuses a report may move a number from. No report is our guess, not the platform's word."""

_recipients = cast(Table, Recipient.__table__)
_sends = cast(Table, Send.__table__)
_reports = cast(Table, Report.__table__)
_bad = cast(Table, BadCallback.__table__)
_inbound = cast(Table, Inbound.__table__)


def _length(*columns: Column[Any]) -> int:
    """The most characters every one of these columns holds."""
    return min(cast(int, cast(String, column.type).length) for column in columns)


REPORT_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "msgid": _length(_reports.c.msgid, _recipients.c.msgid),
        "da": _length(_reports.c.number, _recipients.c.number),
        "value": _length(_reports.c.value),
        "code": _length(_reports.c.code, _recipients.c.code),
    }
)
"""The most characters each field of a report may have to be kept (`parse_report`'s
`max_lengths`): a longer one would fail its whole batch where the database holds to them."""
_COMMAND_LENGTH = _length(_inbound.c.command)


def _storable(text: str) -> str:
    """Text as every database keeps it: PostgreSQL refuses NUL characters."""
    return text.replace("\x00", "\ufffd")


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


class Callback(NamedTuple):
    """One callback request as the report route understood it (a tuple: one is made per request)."""

    raw: str
    reports: tuple[StatusReport, ...] = ()
    messages: tuple[InboundSms, ...] = ()
    bad_reason: str | None = None
    command: str | None = None
    """Set for a callback in a shape nobody expected: kept raw and shown to admins."""


@dataclass(frozen=True)
class Outcome:
    msgid: str
    number: str
    value: str
    code: str

    @property
    def status(self) -> NumberStatus:
        return NumberStatus.DELIVERED if self.value == "0" else NumberStatus.FAILED


@dataclass
class _Batch:
    """A batch of callbacks, sorted out for writing."""

    reports: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    """(msgid, number, value, code) → raw, the first of each key in arrival order."""
    bad: list[tuple[str, str]] = field(default_factory=list)
    """(raw, reason)"""
    inbound: list[tuple[str, str]] = field(default_factory=list)
    """(raw, command)"""
    messages: dict[tuple[str, str], tuple[InboundSms, str]] = field(default_factory=dict)
    """(momsgid, phone) → the message and its callback's raw text, the first of each."""

    @classmethod
    def of(cls, callbacks: Sequence[Callback]) -> _Batch:
        """The callbacks' rows; their free text made storable (the command cut to its column)."""
        batch = cls()
        for c in callbacks:
            raw = _storable(c.raw)
            # An item of a MULTI_ request keeps its own text, not the whole request's.
            for r in c.reports:
                own = raw if len(c.reports) == 1 else f"rts={r.content}"
                batch.reports.setdefault((r.msgid, r.number, r.value, r.code), own)
            for m in c.messages:
                batch.messages.setdefault(
                    (m.momsgid, m.phone), (m, raw if len(c.messages) == 1 else f"mos={m.item}")
                )
            if c.bad_reason:
                batch.bad.append((raw, _storable(c.bad_reason)))
            if c.command is not None:
                batch.inbound.append((raw, _storable(c.command)[:_COMMAND_LENGTH]))
        return batch

    def keyed(self) -> list[tuple[tuple[str, str, str, str], str]]:
        """Reports in key order: two processes writing the same reports cannot deadlock. Stable:
        a number's reports keep their arrival order, so the first final one wins."""
        return sorted(self.reports.items(), key=lambda item: item[0][:2])


async def store_callbacks(
    db: Database, callbacks: Sequence[Callback], now: datetime, words: OptWords = NO_WORDS
) -> None:
    """Write a batch of callbacks (the report route's group commit): the reports in one
    transaction; then, when there are any, the inbound messages in another, with the opt-outs
    they ask for (`words`); then the reports that named no number are applied where their msgid
    has only one. All of it before anyone is told it is stored."""
    batch = _Batch.of(callbacks)
    unsettled = await _write_reports(db, batch, now)
    if batch.messages:
        await db.write(partial(write_messages, list(batch.messages.values()), now, words))
    numberless = {msgid for msgid, number, _value, _code in batch.reports if not number}
    if unsettled or numberless:
        async with db.session.begin() as session:
            if unsettled:
                await apply_waiting(session, now, unsettled)
            if numberless:
                await apply_stored_reports(session, numberless, now)


async def _write_reports(db: Database, batch: _Batch, now: datetime) -> set[str]:
    """The batch in one transaction; the msgids some of whose new reports did not apply.

    Those are looked at again after the commit: on PostgreSQL a submit's answer may commit while
    this transaction runs, its own look for early reports not seeing them yet (READ COMMITTED),
    and without a second look they would wait for the reconciler's sweep. With SQLite the two
    transactions never overlap (one writer at a time), so the second to commit always sees the
    first."""
    if db.sqlite_writer is not None:
        conflicts = await db.sqlite_writer.run_driver(partial(_write_sqlite, batch, _sqlite_time(now)))
        for outcome, (status, code) in conflicts:
            _log_conflict(outcome, status, code)
        return set()
    unsettled: set[str] = set()
    async with db.session.begin() as session:
        if batch.reports:
            new = await insert_reports(session, db.is_sqlite, batch.reports, now)
            unsettled = await apply_outcomes(session, new, now)
        if batch.bad:
            await session.execute(
                insert(BadCallback), [{"raw": r, "reason": why, "received_at": now} for r, why in batch.bad]
            )
        if batch.inbound:
            await session.execute(
                insert(Inbound), [{"raw": r, "command": c, "received_at": now} for r, c in batch.inbound]
            )
    return unsettled


# SQLite: a batch is written by one function on the database's writer thread, in one hop, with
# the driver's own statements (the same rules as the Core statements below: first final status
# wins, only new reports apply, sends marked dirty).
_sqlite_time = cast(Any, DateTime(timezone=True).dialect_impl(sqlite.dialect())).bind_processor(
    sqlite.dialect()
)
_REPORTABLE_SQL = ", ".join(f"'{status.value}'" for status in REPORTABLE)
_SQLITE_CHUNK = 100
"""Rows per INSERT: 600 parameters, under the 999 of older SQLite builds."""
_SQLITE_LAST_REPORT = f"SELECT coalesce(max(id), 0) FROM {_reports.name}"
_SQLITE_INSERT_REPORTS = (
    f"INSERT INTO {_reports.name} (msgid, number, value, code, raw, received_at) VALUES {{rows}} "
    "ON CONFLICT DO NOTHING"
)
# The reports this transaction inserted are those past the last id before it (it holds the
# write lock); for each number the first of them (lowest id, arrival order) is applied.
_SQLITE_STATUS = (
    f"CASE WHEN {{r}}.value = '0' THEN '{NumberStatus.DELIVERED.value}' "  # as Outcome.status
    f"ELSE '{NumberStatus.FAILED.value}' END"
)
_SQLITE_APPLY = (  # `+status`: the loop runs over the batch's reports, not the pending numbers
    f"WITH r AS MATERIALIZED (SELECT msgid, number, value, code, min(id) FROM {_reports.name} NOT INDEXED "
    "WHERE id > ?2 GROUP BY msgid, number) "  # SQLite: the other columns come from the min(id) row
    f"UPDATE {_recipients.name} SET status = {_SQLITE_STATUS.format(r='r')}, code = r.code, updated_at = ?1 "
    f"FROM r WHERE {_recipients.name}.msgid = r.msgid AND {_recipients.name}.number = r.number "
    f"AND +{_recipients.name}.status IN ({_REPORTABLE_SQL})"
)
_SQLITE_MARK_DIRTY = (
    f"UPDATE {_sends.name} SET change_seq = change_seq + 1, dirty_since = coalesce(dirty_since, ?1) "
    f"WHERE id IN (SELECT c.send_id FROM {_reports.name} AS r JOIN {_recipients.name} AS c "
    "ON c.msgid = r.msgid AND c.number = r.number WHERE r.id > ?2 AND c.updated_at = ?1)"
)
_SQLITE_CONFLICTS = (  # new reports whose number kept another final status
    f"SELECT r.msgid, r.number, r.value, r.code, c.status, c.code FROM {_reports.name} AS r "
    f"JOIN {_recipients.name} AS c ON c.msgid = r.msgid AND c.number = r.number "
    f"WHERE r.id > ?1 AND c.status != '{NumberStatus.PENDING.value}' "
    f"AND (c.status != {_SQLITE_STATUS.format(r='r')} OR coalesce(c.code, '') != r.code) ORDER BY r.id"
)
_SQLITE_INSERT_BAD = f"INSERT INTO {_bad.name} (raw, reason, received_at) VALUES (?, ?, ?)"
_SQLITE_INSERT_INBOUND = f"INSERT INTO {_inbound.name} (raw, command, received_at) VALUES (?, ?, ?)"


def _write_sqlite(
    batch: _Batch, at: str, connection: sqlite3.Connection
) -> list[tuple[Outcome, tuple[str, str | None]]]:
    """The whole batch, in the writer thread's transaction, in a few set-wide statements on the
    driver's connection: each is one step, so the thread gives up the GIL a few times per batch,
    not a few times per report. Returns the new reports that conflicted with a final status."""
    cursor = connection.cursor()
    try:
        conflicts: list[tuple[Outcome, tuple[str, str | None]]] = []
        if batch.reports:
            last = cursor.execute(_SQLITE_LAST_REPORT).fetchone()[0]
            rows = batch.keyed()
            for start in range(0, len(rows), _SQLITE_CHUNK):
                chunk = rows[start : start + _SQLITE_CHUNK]
                values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk))
                params = [p for (m, n, v, c), raw in chunk for p in (m, n, v, c, raw, at)]
                cursor.execute(_SQLITE_INSERT_REPORTS.format(rows=values), params)
            cursor.execute(_SQLITE_APPLY, (at, last))
            cursor.execute(_SQLITE_MARK_DIRTY, (at, last))
            conflicts = [
                (Outcome(m, n, v, c), (status, code))
                for m, n, v, c, status, code in cursor.execute(_SQLITE_CONFLICTS, (last,))
            ]
        if batch.bad:
            cursor.executemany(_SQLITE_INSERT_BAD, [(raw, why, at) for raw, why in batch.bad])
        if batch.inbound:
            cursor.executemany(_SQLITE_INSERT_INBOUND, [(raw, c, at) for raw, c in batch.inbound])
    finally:
        cursor.close()
    return conflicts


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


async def apply_outcomes(session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> set[str]:
    """Move numbers forward; the database enforces "first final status wins". Returns the msgids
    of the outcomes when not all of them applied (a number already final, or no number yet)."""
    outcomes = await _numbered(session, outcomes)
    if not outcomes:
        return set()
    # Key order (stable: a number's reports keep their arrival order, so the first final wins).
    outcomes = sorted(outcomes, key=lambda o: (o.msgid, o.number))
    applied = await (await session.connection()).execute(
        _APPLY, [{"m": o.msgid, "n": o.number, "s": o.status, "c": o.code, "t": now} for o in outcomes]
    )
    msgids = {o.msgid for o in outcomes}
    await mark_dirty_by_msgid(session, msgids, now)
    if applied.rowcount == len(outcomes):
        return set()
    await _log_conflicts(session, outcomes)  # not all applied, or no count: say why
    return msgids


async def _numbered(session: AsyncSession, outcomes: Sequence[Outcome]) -> Sequence[Outcome]:
    """Reports that name no number (the family's shapes) given the number of their msgid when it
    has only one; for a batch msgid they apply to no number and stay kept as they came."""
    numberless = {o.msgid for o in outcomes if not o.number}
    if not numberless:
        return outcomes
    rows = await session.execute(
        select(_recipients.c.msgid, func.min(_recipients.c.number), func.count())
        .where(_recipients.c.msgid.in_(numberless))
        .group_by(_recipients.c.msgid)
    )
    single = {msgid: number for msgid, number, count in rows.all() if count == 1}
    numbered = [o for o in outcomes if o.number or o.msgid in single]
    return [o if o.number else replace(o, number=single[o.msgid]) for o in numbered]


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
            _log_conflict(outcome, status, code)


def _log_conflict(outcome: Outcome, status: str, code: str | None) -> None:
    log.warning(
        "conflicting report for msgid %s number %s ignored: %s %s, kept %s %s",
        outcome.msgid,
        outcome.number,
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
        return await apply_waiting(session, now, limit=limit)


async def apply_waiting(
    session: AsyncSession, now: datetime, msgids: Iterable[str] | None = None, limit: int | None = None
) -> int:
    """Apply the stored reports (of `msgids`, or any) whose numbers are still waiting for one;
    how many there were. Numbers already final are not looked at again."""
    query = (
        select(Report.msgid, Report.number, Report.value, Report.code)
        .join(Recipient, (Recipient.msgid == Report.msgid) & (Recipient.number == Report.number))
        .where(Recipient.status.in_(REPORTABLE))
        .order_by(Report.id)
        .limit(limit)
    )
    if msgids is not None:
        query = query.where(Report.msgid.in_(list(msgids)))
    outcomes = [Outcome(*row) for row in (await session.execute(query)).all()]
    await apply_outcomes(session, outcomes, now)
    return len(outcomes)
