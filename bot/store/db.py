"""The database: engine, sessions, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import ClauseElement, Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler

if TYPE_CHECKING:
    from alembic.config import Config


def now() -> datetime:
    """Timestamps are stored timezone-aware, in UTC."""
    return datetime.now(UTC)


MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_TIMEOUT = 10.0
"""Seconds a SQLite connection waits for another one's write lock."""

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
        self.sqlite_writer: SqliteThread | None = None
        """SQLite in a file: a connection on a thread of its own for the report batches."""
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(url, connect_args={"timeout": SQLITE_TIMEOUT})
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            path = make_url(url).database
            if path and path != ":memory:" and not path.startswith("file:"):
                self.sqlite_writer = SqliteThread(path)
        else:
            self.engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)
        self._kept: list[tuple[AsyncConnection, Any]] = []
        """Connections kept for `run_at_once`, idle, each with its driver's side."""
        self._compiled: dict[ClauseElement, SQLCompiler] = {}

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
        """`work` in one transaction: for SQLite in a file on the writer thread, in one hop (see
        `SqliteThread`); otherwise on a pooled connection (`run_sync`: one round trip per
        statement, as always with PostgreSQL). `durable=False`: on SQLite the commit is not
        synced to disk by itself (it survives the process, and the next durable commit syncs it);
        for bookkeeping that is redone if lost."""
        if self.sqlite_writer is not None:
            return await self.sqlite_writer.run(work, durable)
        async with self.engine.begin() as connection:
            return await connection.run_sync(work)

    async def read(self, work: Callable[[Connection], T]) -> T:
        """`work` reading only: for SQLite in a file on the writer thread in one hop, without its
        write lock (aiosqlite would make a hop per statement, fetch and cursor); otherwise on a
        pooled connection."""
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
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = cast(SQLCompiler, statement.compile(dialect=self.engine.dialect))
            self._compiled[statement] = compiled
        values = compiled.construct_params(params)
        args = [values[name] for name in compiled.positiontup or ()]
        kept, driver = await self._take_kept()
        try:
            rows: list[Sequence[Any]] = await driver.fetch(compiled.string, *args)
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


class SqliteThread:
    """One SQLite connection on one thread of its own, for the writes that come in bursts
    (report batches, the notifier's claims). `run(work)` does all of `work` there in one
    transaction (BEGIN IMMEDIATE … COMMIT) and in one hop between the event loop and the thread,
    where aiosqlite makes one hop per statement, fetch and commit, and holds the write lock
    across them. Writes queued here never wait for each other's lock, only for their turn. The
    connection stays open between them: no pool checkout and return for each.

    Durable work is synced to disk when it commits (synchronous=FULL): what a report's 200
    promises holds even if the machine loses power, not only if the process dies."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self._durable = True
        self._reading = False
        """Set while a read runs: its transaction takes no write lock."""

    async def run(self, work: Callable[[Connection], T], durable: bool = True) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, work, durable)

    async def read(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._read, work)

    def _call(self, work: Callable[[Connection], T], durable: bool) -> T:
        connection = self._ready(durable)
        with connection.begin():
            return work(connection)

    def _read(self, work: Callable[[Connection], T]) -> T:
        connection = self._ready(self._durable)
        self._reading = True
        try:
            with connection.begin() as transaction:
                try:
                    return work(connection)
                finally:
                    transaction.rollback()
        finally:
            self._reading = False

    def _ready(self, durable: bool) -> Connection:
        """The connection, open, synced to disk at commit or not (outside a transaction: SQLite
        refuses the change inside one)."""
        if self._connection is None or self._connection.invalidated:
            if self._engine is None:
                self._engine = self._connect()
            self._connection = self._engine.connect()
            self._durable = True
        if durable != self._durable:  # on the driver's connection: SQLAlchemy's would BEGIN
            cursor = self._connection.connection.cursor()
            cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            cursor.close()
            self._durable = durable
        return self._connection

    def _connect(self) -> Engine:
        engine = create_engine(
            f"sqlite:///{self.path}",
            poolclass=StaticPool,  # one connection, only ever used on this thread
            connect_args={"timeout": SQLITE_TIMEOUT, "isolation_level": None},
        )

        def connected(dbapi_connection: DBAPIConnection, _record: object) -> None:
            _sqlite_pragmas(dbapi_connection, _record)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        def begin(connection: Connection) -> None:
            # The driver does not BEGIN by itself (isolation_level=None): a write takes the write
            # lock at once, so a transaction never has to give up half way for another writer.
            connection.exec_driver_sql("BEGIN" if self._reading else "BEGIN IMMEDIATE")

        event.listen(engine, "connect", connected)
        event.listen(engine, "begin", begin)
        return engine

    async def close(self) -> None:
        def close() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

        await asyncio.get_running_loop().run_in_executor(self._executor, close)
        self._executor.shutdown(wait=False)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    # WAL stays set in the file. Asking to switch needs the database to itself and fails at once
    # ("database is locked", no busy wait) while another connection writes: only switch when needed.
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()
    if mode is None or str(mode[0]).lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
