"""PostgreSQL: waiting until a report batch's statement waits on a lock another connection holds."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.store.db import Database

_WAITING_BATCHES = (
    "FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    " AND datname = current_database() AND query LIKE 'WITH src AS%'"
)


async def until_a_batch_waits(db: Database, what: str = "count(*)") -> int:
    """`what` over the backends whose batch statement waits on a lock (`count(pg_terminate_backend
    (pid))` ends them), once there is one; 0 if none waits within 4 s."""
    for _ in range(200):
        async with db.session() as session:  # a transaction each: it sees the activity as of its start
            found = int(await session.scalar(text(f"SELECT {what} {_WAITING_BATCHES}")) or 0)
        if found:
            return found
        await asyncio.sleep(0.02)
    return 0
