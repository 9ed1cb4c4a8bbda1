"""Sends whose message must be shown again: marked by writers, folded in by the notifier.

A writer appends a `SendChange` per send it changed (`mark`), in its own transaction, and never
touches the send's row: report batches committing side by side for one send (two in flight, or
two processes) do not queue for its lock. Before it claims sends, the notifier folds the
changes into their sends (`fold`): `change_seq` bumped and `dirty_since` set, as one change;
what it claims and settles is then read from the sends alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    DateTime,
    Insert,
    Integer,
    Select,
    Table,
    bindparam,
    delete,
    distinct,
    func,
    insert,
    select,
    union_all,
    update,
)

from bot.store.compiled import run_compiled
from bot.store.row_params import RowParams
from bot.store.tables import Send, SendChange

_sends = cast(Table, Send.__table__)
_changes = cast(Table, SendChange.__table__)

_SEND_IDS = RowParams("id", type_=Integer)
_AT = bindparam("now", type_=DateTime(timezone=True))
FOLD_AT_ONCE = 5000
"""Changes folded in one transaction at most; the rest wait for the next pass."""


def mark(send_ids: Select[Any]) -> Insert:
    """The statement that marks the sends `send_ids` selects (each once) as changed at `now`."""
    ids = send_ids.subquery("changed")
    rows = select(ids.c[0], _AT).where(ids.c[0].is_not(None)).distinct()
    return insert(_changes).from_select(["send_id", "at"], rows)


_MARK_IDS = {dialect: mark(select(_SEND_IDS.source(dialect).c.id)) for dialect in ("postgresql", "sqlite")}


def mark_changed(connection: Connection, send_ids: Iterable[int], now: datetime) -> None:
    """Tell the notifier these sends' messages must be shown again."""
    dialect = connection.dialect.name
    params = _SEND_IDS.params(dialect, [(send_id,) for send_id in set(send_ids)])
    run_compiled(connection, _MARK_IDS[dialect], {**params, "now": now})


_WAITING = (
    select(_changes.c.id, _changes.c.send_id, _changes.c.at)
    .order_by(_changes.c.id)
    .limit(FOLD_AT_ONCE)
    .with_for_update(skip_locked=True)  # another process folds what it holds
)
_FOLD = (
    update(_sends)
    .where(_sends.c.id == bindparam("send_id"))
    .values(
        change_seq=_sends.c.change_seq + 1,
        dirty_since=func.coalesce(_sends.c.dirty_since, bindparam("at", type_=DateTime(timezone=True))),
    )
)
_FOLDED = delete(_changes).where(_changes.c.id.in_(bindparam("ids", expanding=True)))
ANY_CHANGE = select(_changes.c.id).limit(1)


def fold(connection: Connection) -> None:
    """Fold the changes not folded yet into their sends, each send's row once, in id order (two
    processes folding never deadlock); the changes are then gone."""
    rows = connection.execute(_WAITING).all()
    if not rows:
        return
    first: dict[int, datetime] = {}
    for _id, send_id, at in rows:
        first[send_id] = min(at, first.get(send_id, at))
    connection.execute(_FOLD, [{"send_id": send_id, "at": at} for send_id, at in sorted(first.items())])
    connection.execute(_FOLDED, {"ids": [row[0] for row in rows]})


def unshown() -> Select[int, datetime | None]:
    """How many sends have a change their message does not show yet, and when the oldest such
    change was stored: changed sends, folded or not."""
    both = union_all(
        select(_sends.c.id, _sends.c.dirty_since.label("since")).where(_sends.c.dirty_since.is_not(None)),
        select(_changes.c.send_id.label("id"), _changes.c.at.label("since")),
    ).subquery("unshown")
    return select(func.count(distinct(both.c.id)), func.min(both.c.since)).select_from(both)
