"""Storing what the platform reports: idempotent, monotonic, and in batches.

The rules are written once, as set-wide statements that SQLite and PostgreSQL both run (the
batch's rows reach them as a few parameters, `RowParams`):
- every report is kept once, raw and parsed: (account, msgid, number, value, code) is unique, and
  applies only to numbers sent with its Santo account (`account`, from the URL it came to);
- only a new report moves its number, and only from a status a report may move (`REPORTABLE`):
  the first final status wins, within a batch (arrival order) and across batches;
- a report whose msgid is not stored yet is kept, and applied when the msgid is
  (`apply_stored_reports`), or by the sweep (`sweep_orphans`);
- the sends whose numbers moved are marked for the notifier, once per batch (`changes`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache, partial
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    DateTime,
    FromClause,
    Insert,
    Table,
    Update,
    and_,
    bindparam,
    func,
    insert,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.opt_out import NO_WORDS, OptWords
from bot.domain.states import REPORTABLE, NumberStatus
from bot.store.callbacks import Callback, CallbackBatch, Outcome, status_of
from bot.store.changes import mark, mark_changed
from bot.store.compiled import run_compiled
from bot.store.db import Database
from bot.store.inbound import write_messages
from bot.store.row_params import RowParams
from bot.store.tables import BadCallback, Inbound, Recipient, Report, Send

log = logging.getLogger(__name__)

_recipients = cast(Table, Recipient.__table__)
_reports = cast(Table, Report.__table__)

_NEW_REPORTS = RowParams("account", "msgid", "number", "value", "code", "raw", "status")
_FIRSTS = RowParams("account", "msgid", "number", "status", "code")
_NOW = bindparam("now", type_=DateTime(timezone=True))
_KEY = ("account", "msgid", "number")
_NUMBER_OF_REPORT = (
    (_recipients.c.account == _reports.c.account)
    & (_recipients.c.msgid == _reports.c.msgid)
    & (_recipients.c.number == _reports.c.number)
)

_WAITING = or_(*(_recipients.c.status == status.value for status in REPORTABLE))
"""A number still waiting for a report (not `IN`: its list would be expanded at every run)."""


def of_waiting_sends() -> ColumnElement[bool]:
    """The numbers of the sends still waiting (`Send.waiting`): where every Pending number is.
    No index of `recipients` holds `status`, so a lookup of Pending numbers goes through these."""
    return _recipients.c.send_id.in_(select(Send.id).where(Send.waiting))


def _same(left: FromClause, right: FromClause, names: Iterable[str]) -> ColumnElement[bool]:
    return and_(*(left.c[name] == right.c[name] for name in names))


def _insert(dialect: str, src: FromClause) -> Insert:
    """Insert the rows of `src` not stored yet; return the key of each one it inserted."""
    rows = select(src.c.account, src.c.msgid, src.c.number, src.c.value, src.c.code, src.c.raw, _NOW).where(
        true()  # SQLite reads `ON CONFLICT` after a SELECT without WHERE as a join's ON
    )
    new = pg_insert(_reports) if dialect == "postgresql" else sqlite_insert(_reports)
    return (
        new.from_select(["account", "msgid", "number", "value", "code", "raw", "received_at"], rows)
        .on_conflict_do_nothing()
        .returning(_reports.c.account, _reports.c.msgid, _reports.c.number, _reports.c.value, _reports.c.code)
    )


def _first_each(outcomes: FromClause) -> FromClause:
    """The first outcome of each number in `outcomes` (`position`: arrival order)."""
    ranked = select(
        *(outcomes.c[name] for name in (*_KEY, "status", "code")),
        func.row_number()
        .over(partition_by=[outcomes.c[name] for name in _KEY], order_by=outcomes.c.position)
        .label("rank"),
    ).subquery("ranked")
    return (
        select(*(ranked.c[name] for name in (*_KEY, "status", "code")))
        .where(ranked.c.rank == 1)
        .subquery("first")
    )


def _apply(firsts: FromClause) -> Update:
    """Move the numbers `firsts` name (one outcome each) that are still waiting for a report;
    return the send, msgid and number of each one moved. On PostgreSQL the rows are locked in
    key order first, so two processes applying reports for the same numbers never deadlock; a
    row another transaction moved meanwhile is read again and left alone (the first final status
    wins)."""
    target = (
        select(_recipients.c.id, firsts.c.status, firsts.c.code)
        .join_from(firsts, _recipients, _same(_recipients, firsts, _KEY))
        .where(_WAITING)
        .order_by(*(_recipients.c[name] for name in _KEY))
        .with_for_update(of=_recipients)  # SQLite: one writer at a time, no row locks to take
        .subquery("target")
    )
    return (
        update(_recipients)
        .where(_recipients.c.id == target.c.id)
        .values(status=target.c.status, code=target.c.code, updated_at=_NOW)
        .returning(_recipients.c.send_id, _recipients.c.account, _recipients.c.msgid, _recipients.c.number)
    )


@cache
def _insert_reports(dialect: str) -> Insert:
    return _insert(dialect, _NEW_REPORTS.source(dialect))


@cache
def _apply_firsts(dialect: str) -> Update:
    return _apply(_FIRSTS.source(dialect))


@cache
def _write_at_once() -> CompoundSelect[Any]:
    """PostgreSQL: `write_batch`'s reports as one statement (one round trip, atomic by itself):
    the same insert, apply and mark, chained. Returns the reports inserted, in arrival order,
    then the key of each number that moved (its other columns null): two lists side by side,
    not joined, as a join of rows the planner cannot count would compare every pair."""
    src = _NEW_REPORTS.rows("postgresql").cte("src")
    new = _insert("postgresql", src).cte("new")
    arrived = (
        select(*(src.c[name] for name in (*_KEY, "value", "code", "status", "position")))
        .join_from(src, new, _same(src, new, (*_KEY, "value", "code")))
        .cte("arrived")
    )
    moved = _apply(_first_each(arrived)).cte("moved")
    return (
        union_all(
            select(*(arrived.c[name] for name in (*_KEY, "value", "code", "position"))),
            select(*(moved.c[name] for name in _KEY), null(), null(), null()),
        )
        .order_by(arrived.c.position)
        .add_cte(mark(select(moved.c.send_id)).cte("marked"))
    )


async def store_callbacks(
    db: Database, callbacks: Sequence[Callback], now: datetime, words: OptWords = NO_WORDS
) -> None:
    """Write a batch of callbacks (the report route's group commit): the reports in one
    transaction (on PostgreSQL, a batch of reports that all name their number: in one statement);
    then, when there are any, the inbound messages in another, with the opt-outs they ask for
    (`words`); then the reports that named no number are applied where their msgid has only one.
    All of it before anyone is told it is stored."""
    batch = CallbackBatch.of(callbacks)
    numberless = {msgid for _account, msgid, number, _value, _code in batch.reports if not number}
    only_numbered_reports = bool(batch.reports) and not (numberless or batch.bad or batch.inbound)
    if only_numbered_reports and not db.is_sqlite:
        unsettled = await write_at_once(db, batch, now)
    else:
        unsettled = await db.write(partial(write_batch, batch, now))
    if batch.messages:
        await db.write(partial(write_messages, list(batch.messages.values()), now, words))
    if unsettled or numberless:
        await db.write(partial(apply_stored, unsettled | numberless, now))


async def write_at_once(db: Database, batch: CallbackBatch, now: datetime) -> set[str]:
    """`write_batch` for a batch of reports alone, all naming their number (PostgreSQL), in one
    statement; then the look at those that moved no number, as `apply_outcomes` does."""
    params = _NEW_REPORTS.params("postgresql", _report_rows(batch.keyed()))
    written = await db.run_at_once(_write_at_once(), {**params, "now": now})
    outcomes = [Outcome(*row[:5]) for row in written if row[5] is not None]
    moved = {tuple(row[:3]) for row in written if row[5] is None}
    rest = _not_applied(outcomes, _first_of(outcomes), moved)
    return await db.read(partial(_unapplied, outcomes=rest)) if rest else set()


def write_batch(batch: CallbackBatch, now: datetime, connection: Connection) -> set[str]:
    """The batch in one transaction; the msgids of new reports that found no number waiting.

    Those are looked at again after the commit: on PostgreSQL a submit's answer may commit while
    this transaction runs, its own look for early reports not seeing them yet (READ COMMITTED),
    and without a second look they would wait for the reconciler's sweep."""
    unsettled: set[str] = set()
    if batch.reports:
        unsettled = apply_outcomes(connection, insert_reports(connection, batch, now), now)
    if batch.bad:
        connection.execute(
            insert(BadCallback), [{"raw": r, "reason": why, "received_at": now} for r, why in batch.bad]
        )
    if batch.inbound:
        connection.execute(
            insert(Inbound),
            [{"account": a, "raw": r, "command": c, "received_at": now} for a, r, c in batch.inbound],
        )
    return unsettled


def insert_reports(connection: Connection, batch: CallbackBatch, now: datetime) -> list[Outcome]:
    """Store the batch's reports not seen before; return those, in arrival order per number."""
    dialect = connection.dialect.name
    rows = batch.keyed()  # key order: two processes inserting the same reports cannot deadlock
    params = {**_NEW_REPORTS.params(dialect, _report_rows(rows)), "now": now}
    inserted = {tuple(row) for row in run_compiled(connection, _insert_reports(dialect), params)}
    return [Outcome(*key) for key, _raw in rows if key in inserted]


def _report_rows(keyed: list[tuple[tuple[str, str, str, str, str], str]]) -> list[tuple[str, ...]]:
    """`_NEW_REPORTS` rows of `CallbackBatch.keyed()`: each report, its raw text and the status it
    gives its number."""
    return [(*key, raw, status_of(key[3]).value) for key, raw in keyed]


def apply_outcomes(connection: Connection, outcomes: Sequence[Outcome], now: datetime) -> set[str]:
    """Move numbers forward, the first outcome of each number in `outcomes` (their order) only;
    mark the sends whose numbers moved. Returns the msgids of outcomes that found no number, or
    none still waiting, when they ran (see `write_batch`)."""
    outcomes = _numbered(connection, outcomes)
    if not outcomes:
        return set()
    dialect = connection.dialect.name
    first = _first_of(outcomes)
    rows = [(o.account, o.msgid, o.number, o.status.value, o.code) for o in first.values()]
    params = {**_FIRSTS.params(dialect, rows), "now": now}
    moved = run_compiled(connection, _apply_firsts(dialect), params)
    if moved:
        mark_changed(connection, (send_id for send_id, *_key in moved), now)
    rest = _not_applied(outcomes, first, {tuple(key) for _send_id, *key in moved})
    return _unapplied(connection, rest) if rest else set()


def _first_of(outcomes: Sequence[Outcome]) -> dict[tuple[str, str, str], Outcome]:
    """The first outcome of each number, in the order of `outcomes`: the one that may move it."""
    first: dict[tuple[str, str, str], Outcome] = {}
    for outcome in outcomes:
        first.setdefault(outcome.key, outcome)
    return first


def _not_applied(
    outcomes: Sequence[Outcome],
    first: Mapping[tuple[str, str, str], Outcome],
    moved: Collection[tuple[str, ...]],
) -> list[Outcome]:
    """After the apply: the outcomes that moved no number, or were not their number's `first`;
    to be looked at (`_unapplied`)."""
    return [o for o in outcomes if o.key not in moved or first[o.key] is not o]


def _numbered(connection: Connection, outcomes: Sequence[Outcome]) -> Sequence[Outcome]:
    """Reports that name no number (the family's shapes) given the number of their msgid when it
    has only one; for a batch msgid they apply to no number and stay kept as they came."""
    numberless = {o.msgid for o in outcomes if not o.number}
    if not numberless:
        return outcomes
    rows = connection.execute(
        select(_recipients.c.account, _recipients.c.msgid, func.min(_recipients.c.number), func.count())
        .where(_recipients.c.msgid.in_(numberless))
        .group_by(_recipients.c.account, _recipients.c.msgid)
    )
    single = {(account, msgid): number for account, msgid, number, count in rows.all() if count == 1}
    numbered = [o for o in outcomes if o.number or (o.account, o.msgid) in single]
    return [o if o.number else o._replace(number=single[(o.account, o.msgid)]) for o in numbered]


def _unapplied(connection: Connection, outcomes: Collection[Outcome]) -> set[str]:
    """Log the outcomes that met another final status; return the msgids of those that met no
    number, or one still waiting (one read, which this look needed anyway)."""
    rows = connection.execute(
        select(
            _recipients.c.account,
            _recipients.c.msgid,
            _recipients.c.number,
            _recipients.c.status,
            _recipients.c.code,
        ).where(
            _recipients.c.msgid.in_({o.msgid for o in outcomes}),
            _recipients.c.number.in_({o.number for o in outcomes}),
        )
    )
    kept = {
        (account, msgid or "", number): (status, code) for account, msgid, number, status, code in rows.all()
    }
    unsettled: set[str] = set()
    for outcome in outcomes:
        status, code = kept.get(outcome.key, (None, None))
        if status is None or status in REPORTABLE:  # no number, or one whose msgid committed meanwhile
            unsettled.add(outcome.msgid)
        elif (status, code or "") != (outcome.status, outcome.code) and status != NumberStatus.PENDING:
            _log_conflict(outcome, status, code)
    return unsettled


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


async def mark_dirty(session: AsyncSession, send_ids: Iterable[int], now: datetime) -> None:
    """Tell the notifier these sends' messages must be shown again."""
    await (await session.connection()).run_sync(partial(mark_changed, send_ids=list(send_ids), now=now))


async def apply_stored_reports(session: AsyncSession, msgids: Iterable[str], now: datetime) -> None:
    """Apply reports that arrived before their msgid was stored (the submit answer lost the race)."""
    await (await session.connection()).run_sync(partial(apply_stored, list(msgids), now))


def apply_stored(msgids: Collection[str], now: datetime, connection: Connection) -> None:
    """Apply the stored reports of `msgids` whose numbers are still waiting, and those that name
    no number, in the order they arrived."""
    query = (
        select(_reports.c.account, _reports.c.msgid, _reports.c.number, _reports.c.value, _reports.c.code)
        .outerjoin(_recipients, _NUMBER_OF_REPORT)
        .where(
            _reports.c.msgid.in_(list(msgids)),
            _WAITING | (_reports.c.number == ""),
        )
        .order_by(_reports.c.id)
    )
    apply_outcomes(connection, [Outcome(*row) for row in connection.execute(query).all()], now)


async def sweep_orphans(db: Database, now: datetime, limit: int = 500) -> int:
    """Apply stored reports whose numbers are still waiting: closes every race for good."""
    return await db.write(partial(apply_waiting, now=now, limit=limit))


def apply_waiting(connection: Connection, now: datetime, limit: int) -> int:
    """Apply the stored reports whose numbers are still waiting for one, in the order they
    arrived; how many there were. Numbers already final are not looked at again."""
    query = (
        select(_reports.c.account, _reports.c.msgid, _reports.c.number, _reports.c.value, _reports.c.code)
        .join(_recipients, _NUMBER_OF_REPORT)
        .where(of_waiting_sends(), _WAITING)
        .order_by(_reports.c.id)
        .limit(limit)
    )
    outcomes = [Outcome(*row) for row in connection.execute(query).all()]
    apply_outcomes(connection, outcomes, now)
    return len(outcomes)
