"""SQLite in a file: the one connection that takes the writes which come in bursts."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import StaticPool

SQLITE_TIMEOUT = 10.0
"""Seconds a SQLite connection waits for another one's write lock."""

T = TypeVar("T")


class SqliteWriter:
    """One SQLite connection for the writes that come in bursts (report batches, the notifier's
    claims) and the reads that go with them, one at a time. `run(work)` does all of `work` in one
    transaction that takes the write lock at once (BEGIN IMMEDIATE), where aiosqlite would make a
    hop to its thread per statement, fetch and commit and hold the write lock across them. The
    connection stays open between them: no pool checkout and return for each.

    `work`'s statements run on the event loop's thread (they read and write pages SQLite keeps in
    memory: tens of microseconds). The commit, which waits for the disk, runs on a thread of
    its own while the event loop goes on. Running the statements on that thread too made the
    two threads hand the interpreter back and forth at every step of every statement, which cost
    more than the statements. On the event loop the write lock is only taken if it is free: held
    by another connection (an aiosqlite one, which needs the event loop to finish), the wait for
    it goes to the thread. Reads run on the thread, whole.

    Durable work is synced to disk when it commits (synchronous=FULL): what a report's 200
    promises holds even if the machine loses power, not only if the process dies."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self._durable = True
        self._turn = asyncio.Lock()
        """Held from a transaction's BEGIN to its end: one at a time on the connection."""

    async def run(self, work: Callable[[Connection], T], durable: bool = True) -> T:
        # Shielded: a transaction that has begun ends (committed or rolled back) before the
        # connection is used again, even when its caller is cancelled.
        return await asyncio.shield(self._write(work, durable))

    async def read(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.shield(self._on_thread_in_turn(self._read, work))

    async def close(self) -> None:
        await self._on_thread_in_turn(self._close)
        self._executor.shutdown(wait=False)

    async def _write(self, work: Callable[[Connection], T], durable: bool) -> T:
        async with self._turn:
            if self._closed():
                await self._on_thread(self._open)  # its setup may wait for another connection
            connection = self._ready(durable)
            driver = _driver(connection)
            try:
                driver.execute("BEGIN IMMEDIATE")  # busy_timeout 0: fails at once if taken
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                await self._on_thread(_begin_waiting, driver)
            transaction = _begun(connection)
            try:
                result = work(connection)
            except BaseException:
                transaction.rollback()
                raise
            await self._on_thread(_commit, transaction)
            return result

    async def _on_thread_in_turn(self, call: Callable[..., T], *args: Any) -> T:
        async with self._turn:
            return await self._on_thread(call, *args)

    async def _on_thread(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, *args)

    def _read(self, work: Callable[[Connection], T]) -> T:
        if self._closed():
            self._open()
        connection = self._ready(self._durable)
        driver = _driver(connection)
        with _waiting(driver):
            driver.execute("BEGIN")
            transaction = _begun(connection)
            try:
                return work(connection)
            finally:
                transaction.rollback()

    def _closed(self) -> bool:
        return self._connection is None or self._connection.invalidated

    def _open(self) -> None:
        """Open the connection (on the thread: its setup may wait for another one's lock)."""
        if self._engine is None:
            self._engine = self._connect()
        self._connection = self._engine.connect()
        self._durable = True

    def _ready(self, durable: bool) -> Connection:
        """The connection, opened before, synced to disk at commit or not (outside a
        transaction: SQLite refuses the change inside one)."""
        connection = self._connection
        if connection is None:  # `_open` ran first; said for the type checker
            raise RuntimeError("the SQLite writer's connection is not open")
        if durable != self._durable:
            _driver(connection).execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._durable = durable
        return connection

    def _connect(self) -> Engine:
        engine = create_engine(
            f"sqlite:///{self.path}",
            poolclass=StaticPool,  # one connection, used by one transaction at a time
            # The driver begins nothing by itself (isolation_level=None): `_write` and `_read`
            # do. Used on two threads, one after the other (`_turn`).
            connect_args={"timeout": SQLITE_TIMEOUT, "isolation_level": None, "check_same_thread": False},
        )

        def connected(dbapi_connection: DBAPIConnection, _record: object) -> None:
            sqlite_pragmas(dbapi_connection, _record)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=FULL")
            # From here on no wait for another connection's lock on the event loop (`_write`).
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.close()

        event.listen(engine, "connect", connected)
        return engine

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _driver(connection: Connection) -> sqlite3.Connection:
    driver = connection.connection.driver_connection
    if not isinstance(driver, sqlite3.Connection):  # said for the type checker
        raise TypeError("not a SQLite connection")
    return driver


def _begun(connection: Connection) -> RootTransaction:
    """SQLAlchemy's bookkeeping of the transaction the driver began (never left open on the
    driver if that fails)."""
    try:
        return connection.begin()
    except BaseException:
        _driver(connection).rollback()
        raise


@contextmanager
def _waiting(driver: sqlite3.Connection) -> Iterator[None]:
    """On the thread: wait up to SQLITE_TIMEOUT for another connection's lock."""
    driver.execute(f"PRAGMA busy_timeout={int(SQLITE_TIMEOUT * 1000)}")
    try:
        yield
    finally:
        driver.execute("PRAGMA busy_timeout=0")


def _begin_waiting(driver: sqlite3.Connection) -> None:
    with _waiting(driver):
        driver.execute("BEGIN IMMEDIATE")


def _commit(transaction: RootTransaction) -> None:
    """Commit, or roll back what failed to commit (as `with connection.begin()` does)."""
    try:
        transaction.commit()
    except BaseException:
        if transaction.is_active:
            transaction.rollback()
        raise


def sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
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
