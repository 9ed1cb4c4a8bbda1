"""Statements compiled once per dialect and handed to the driver as they are.

At every execution SQLAlchemy computes a key from the whole statement to find its compiled
form, and sets up a context to process its parameters and rows: tens of µs of the web
process's CPU for each of a report batch's statements. Those few statements are fixed (their
rows come as `RowParams`), so here they are compiled once, their parameters put in the
driver's order, converted as SQLAlchemy would, and run on the driver's own cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import ClauseElement, Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler


class _Compiled(NamedTuple):
    sql: str
    names: list[str]
    """The parameters' names, in the driver's order."""
    defaults: dict[str, Any]
    """The values the statement itself gives (literals turned into parameters); a parameter
    with none must be given."""
    processors: list[Callable[[Any], Any] | None]
    """What SQLAlchemy's execution applies to each value, in the driver's order."""


_COMPILED: dict[tuple[ClauseElement, type[Dialect]], _Compiled] = {}
"""By statement and driver's dialect (each has its own placeholders and conversions)."""


def driver_args(
    statement: ClauseElement, dialect: Dialect, params: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    """`statement`'s SQL for `dialect` and `params` as its driver takes them, in order, each
    converted as its type says (a timestamp to SQLite's text, for one)."""
    key = (statement, type(dialect))
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = _compile(statement, dialect)
    args = []
    for name, process in zip(compiled.names, compiled.processors, strict=True):
        value = params[name] if name in params else compiled.defaults[name]
        args.append(value if process is None else process(value))
    return compiled.sql, args


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    names = list(compiled.positiontup or ())
    processors = compiled._bind_processors
    given = compiled.construct_params(_check=False)
    return _Compiled(
        compiled.string,
        names,
        {name: value for name, value in given.items() if not compiled.binds[name].required},
        [cast(Callable[[Any], Any] | None, processors.get(name)) for name in names],
    )


def run_compiled(
    connection: Connection, statement: ClauseElement, params: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """`statement` on `connection`, in its transaction (begun here if none is, as SQLAlchemy's
    own execution would), compiled once; the rows it returns (none when it returns none), as the
    driver gives them. On the driver's cursor: SQLAlchemy's result (its row metadata and Row
    objects) cost as much as a batch's rows."""
    sql, args = driver_args(statement, connection.dialect, params)
    if not connection.in_transaction():
        connection.begin()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, args)
        return cursor.fetchall() if cursor.description else []
    finally:
        cursor.close()
