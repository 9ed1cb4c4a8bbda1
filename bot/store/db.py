"""The database: engine, sessions, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ClauseElement, Connection, event, make_url, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from bot.store.compiled import driver_args
from bot.store.sqlite_writer import SQLITE_TIMEOUT, SqliteWriter, sqlite_pragmas

if TYPE_CHECKING:
    from alembic.config import Config


def now() -> datetime:
    """Timestamps are stored timezone-aware, in UTC."""
    return datetime.now(UTC)


MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


def unavailable(exc: BaseException) -> bool:
    """Whether a failed write failed for the database's sake (unreachable, connection lost,
    locked, disk trouble), not for what was written: the same write is likely to fail again
    at once, whatever it holds."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(
        exc, OperationalError | InterfaceError | sqlite3.OperationalError | sqlite3.InterfaceError | OSError
    ):
        return True
    asyncpg = sys.modules.get("asyncpg")  # the driver's own errors (`Database.run_at_once`)
    return asyncpg is not None and isinstance(
        exc,
        asyncpg.PostgresConnectionError
        | asyncpg.OperatorInterventionError
        | asyncpg.InsufficientResourcesError
        | asyncpg.PostgresSystemError
        | asyncpg.InterfaceError  # the connection is closed
        | asyncpg.InternalClientError,  # it was, as a statement began: its state is lost
    )


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # here, as in `migrate`: Alembic is for the release step

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    def __init__(self, url: str) -> None:
        """`url` is an async SQLAlchemy URL (`Settings.sqlalchemy_url`)."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.sqlite_writer: SqliteWriter | None = None
        """SQLite in a file: one connection kept for the report batches and other bursts."""
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(url, connect_args={"timeout": SQLITE_TIMEOUT})
            event.listen(self.engine.sync_engine, "connect", sqlite_pragmas)
            path = make_url(url).database
            if path and path != ":memory:" and not path.startswith("file:"):
                self.sqlite_writer = SqliteWriter(path)
        else:
            self.engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)
        self._kept: list[tuple[AsyncConnection, Any]] = []
        """Connections kept for `run_at_once`, idle, each with its driver's side."""

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic runs its own loop: use a thread)."""
        from alembic import command  # 10 MiB that a PostgreSQL web process (migrated by the
        # release step) never needs

        await asyncio.to_thread(command.upgrade, alembic_config(self.url), "head")

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def close(self) -> None:
        if self.sqlite_writer is not None:
            await self.sqlite_writer.close()
        while self._kept:
            await self._kept.pop()[0].close()
        await self.engine.dispose()

    async def write(self, work: Callable[[Connection], T], durable: bool = True) -> T:
        """`work` in one transaction: for SQLite in a file on the writer's connection (see
        `SqliteWriter`); otherwise on a pooled connection (`run_sync`: one round trip per
        statement, as always with PostgreSQL). `durable=False`: on SQLite the commit is not
        synced to disk by itself (it survives the process, and the next durable commit syncs it);
        for bookkeeping that is redone if lost."""
        if self.sqlite_writer is not None:
            return await self.sqlite_writer.run(work, durable)
        async with self.engine.begin() as connection:
            return await connection.run_sync(work)

    async def read(self, work: Callable[[Connection], T]) -> T:
        """`work` reading only: for SQLite in a file on the writer's connection, on its thread in
        one hop, without its write lock (aiosqlite would make a hop per statement, fetch and
        cursor); otherwise on a pooled connection."""
        if self.sqlite_writer is not None:
            return await self.sqlite_writer.read(work)
        async with self.engine.connect() as connection:
            return await connection.run_sync(work)

    async def run_at_once(self, statement: ClauseElement, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        """PostgreSQL: `statement`, atomic by itself (the report batches); its rows. It goes to
        the driver on a connection kept for such statements, compiled once: one round
        trip, no BEGIN or COMMIT (outside a transaction each statement commits by itself), and no
        pool checkout, liveness ping or result processing per batch, which cost the web process
        as much CPU as the statement's own work; and planned once, not at every batch (the
        database's own plan cache would plan batches anew for a while, and then from time to
        time: planning such a statement costs as much as running it on twenty rows). Its
        parameters must be values the driver takes as they are (text, numbers, timestamps, lists
        of them). A connection that fails for the database's sake is dropped; the next call opens
        another."""
        sql, args = driver_args(statement, self.engine.dialect, params)
        kept, driver = await self._take_kept()
        try:
            rows: list[Sequence[Any]] = await driver.fetch(sql, *args)
        except BaseException as exc:
            if unavailable(exc) or not isinstance(exc, Exception):
                await _invalidate(kept)
            else:
                self._kept.append((kept, driver))
            raise
        self._kept.append((kept, driver))
        return rows

    async def _take_kept(self) -> tuple[AsyncConnection, Any]:
        """An idle kept connection and its driver's side, open (one the database closed since its
        last statement is replaced, without failing a statement for it), or a new one: there are
        as many as statements in flight at once."""
        while self._kept:
            kept, driver = self._kept.pop()
            if not driver.is_closed():
                return kept, driver
            await _invalidate(kept)
        kept = await self.engine.connect()
        fresh = (await kept.get_raw_connection()).driver_connection
        if fresh is None:  # not for a connection just opened; said for the type checker
            raise RuntimeError("a new connection without its driver's side")
        # Planned once per statement, not per batch: see `run_at_once`.
        await fresh.execute("SET plan_cache_mode = force_generic_plan")
        return kept, fresh


async def _invalidate(connection: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await connection.invalidate()
