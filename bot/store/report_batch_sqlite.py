"""SQLite: a batch of reports written by one function on the database's writer thread, in one
hop, with the driver's own statements (the same rules as the Core statements in `reports`:
first final status wins, only new reports apply, sends marked dirty)."""

from __future__ import annotations

import sqlite3
from typing import Any, cast

from sqlalchemy import DateTime, Table
from sqlalchemy.dialects import sqlite

from bot.domain.states import REPORTABLE, NumberStatus
from bot.store.callbacks import CallbackBatch, Outcome
from bot.store.tables import BadCallback, Inbound, Recipient, Report, Send

_recipients = cast(Table, Recipient.__table__)
_sends = cast(Table, Send.__table__)
_reports = cast(Table, Report.__table__)
_bad = cast(Table, BadCallback.__table__)
_inbound = cast(Table, Inbound.__table__)

sqlite_time = cast(Any, DateTime(timezone=True).dialect_impl(sqlite.dialect())).bind_processor(
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


def write_sqlite(
    batch: CallbackBatch, at: str, connection: sqlite3.Connection
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
