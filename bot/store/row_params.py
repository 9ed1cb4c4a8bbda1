"""A list of rows handed to one statement as a few parameters, so that a batch of any size is
one statement, compiled once and sent in one round trip: on PostgreSQL one array per column
(`unnest`), on SQLite one JSON array of rows (`json_each`). The only part of the report path
that differs between the two databases."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, String, Subquery, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

_JSON_ROWS = "rows"


class RowParams:
    """Rows of columns `names` (all of type `type_`), usable as a FROM clause in statements of
    either dialect."""

    def __init__(self, *names: str, type_: TypeEngine[Any] | type[TypeEngine[Any]] = String) -> None:
        self.names = names
        self.type = type_

    def rows(self, dialect: str) -> Select[Any]:
        """The rows, one column per name and their `position` (1, 2, … in the order given)."""
        if dialect == "postgresql":
            # A parameter is named for its column's values: an INSERT or UPDATE keeps the column's
            # own name. `unnest` of several arrays reads them side by side, row by row.
            arrays = [bindparam(f"{n}_list", type_=ARRAY(self.type)) for n in self.names]
            rows = func.unnest(*arrays).table_valued(*self.names, with_ordinality="position").render_derived()
            return select(*(rows.c[n] for n in self.names), rows.c.position).order_by(rows.c.position)
        each = func.json_each(bindparam(_JSON_ROWS, type_=String)).table_valued("value", "key")
        columns = [func.json_extract(each.c.value, f"$[{i}]").label(n) for i, n in enumerate(self.names)]
        position = (each.c.key + 1).label("position")
        return select(*columns, position).select_from(each).order_by(each.c.key)

    def source(self, dialect: str, name: str = "src") -> Subquery:
        """`rows` as a subquery, to read from in a statement."""
        return self.rows(dialect).subquery(name)

    def params(self, dialect: str, rows: Sequence[Sequence[object]]) -> dict[str, Any]:
        """The parameters that fill `source` with `rows` (each a value per name, in order)."""
        if dialect == "postgresql":
            return {f"{n}_list": [row[i] for row in rows] for i, n in enumerate(self.names)}
        return {_JSON_ROWS: json.dumps(rows, ensure_ascii=False, separators=(",", ":"))}
