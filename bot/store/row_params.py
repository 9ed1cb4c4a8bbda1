"""A list of rows handed to one statement as parameters, so that a batch of rows is one
statement, compiled once and sent in one round trip. The only part of the report path that
differs between the two databases:
- PostgreSQL: one array per column (`unnest`), whatever the number of rows;
- SQLite, up to `values_upto` rows: a `VALUES` list, one parameter per value, its length rounded
  up to a power of two (a statement per length; the rows added are empty and left out). SQLite
  reads it about twice as fast as JSON, which it must take apart value by value;
- SQLite, more rows: one JSON array of rows (`json_each`), whatever their number (a `VALUES`
  list that long would pass SQLite's limit on parameters).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Select, String, Subquery, bindparam, column, func, select, values
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

_JSON_ROWS = "rows"
_POSITION = "position"


class RowParams:
    """Rows of columns `names` (all of type `type_`), usable as a FROM clause in statements of
    either dialect."""

    def __init__(
        self, *names: str, type_: TypeEngine[Any] | type[TypeEngine[Any]] = String, values_upto: int = 0
    ) -> None:
        self.names = names
        self.type = type_
        self.values_upto = values_upto
        """SQLite: at most this many rows are given as a `VALUES` list (0: always JSON)."""
        self._keys: dict[int, list[str]] = {}
        """The parameters' names of a `VALUES` list of each length, row by row."""

    def size(self, dialect: str, count: int) -> int:
        """The length of the statement's `VALUES` list for `count` rows; 0 for none (arrays or
        JSON, one statement for any number of rows)."""
        if dialect == "postgresql" or count > self.values_upto:
            return 0
        return 1 << max(count - 1, 0).bit_length()

    def rows(self, dialect: str, size: int = 0) -> Select[Any]:
        """The rows, one column per name and their `position` (1, 2, … in the order given), for
        `size` (see `size`)."""
        if dialect == "postgresql":
            # A parameter is named for its column's values: an INSERT or UPDATE keeps the column's
            # own name. `unnest` of several arrays reads them side by side, row by row.
            arrays = [bindparam(f"{n}_list", type_=ARRAY(self.type)) for n in self.names]
            rows = func.unnest(*arrays).table_valued(*self.names, with_ordinality=_POSITION).render_derived()
            return select(*(rows.c[n] for n in self.names), rows.c.position).order_by(rows.c.position)
        if size:
            listed = values(
                *(column(n, self.type) for n in self.names), column(_POSITION, Integer), name="listed"
            )
            listed_rows = listed.data(
                [
                    (
                        *(bindparam(f"{n}__{i}", type_=self.type) for n in self.names),
                        bindparam(f"{_POSITION}__{i}", type_=Integer),
                    )
                    for i in range(size)
                ]
            ).cte("listed")  # SQLite names a VALUES list's columns only in a WITH
            position = listed_rows.c.position
            return (
                select(*(listed_rows.c[n] for n in self.names), position)
                .where(position.is_not(None))
                .order_by(position)
            )
        each = func.json_each(bindparam(_JSON_ROWS, type_=String)).table_valued("value", "key")
        columns = [func.json_extract(each.c.value, f"$[{i}]").label(n) for i, n in enumerate(self.names)]
        return select(*columns, (each.c.key + 1).label(_POSITION)).select_from(each).order_by(each.c.key)

    def source(self, dialect: str, size: int = 0, name: str = "src") -> Subquery:
        """`rows` as a subquery, to read from in a statement."""
        return self.rows(dialect, size).subquery(name)

    def params(self, dialect: str, rows: Sequence[Sequence[object]]) -> dict[str, Any]:
        """The parameters that fill `source` with `rows` (each a value per name, in order), for
        the statement of `size(dialect, len(rows))`."""
        if dialect == "postgresql":
            return {f"{n}_list": [row[i] for row in rows] for i, n in enumerate(self.names)}
        size = self.size(dialect, len(rows))
        if not size:
            return {_JSON_ROWS: json.dumps(rows, ensure_ascii=False, separators=(",", ":"))}
        keys = self._keys.get(size)
        if keys is None:
            keys = self._keys[size] = [f"{n}__{i}" for i in range(size) for n in (*self.names, _POSITION)]
        given: list[object] = []
        for position, row in enumerate(rows, 1):
            given += row
            given.append(position)
        return dict(zip(keys, given + [None] * (len(keys) - len(given)), strict=True))
