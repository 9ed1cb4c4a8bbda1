"""Data kept only as long as needed: each reconciler round removes the texts and numbers of sends,
reports and replies older than SANTO_KEEP_DAYS (the queries and what stays: `bot.store.retention`).

The work goes in batches of `batch` rows, at most `BATCHES_PER_ROUND` per table and round, with
the event loop let go between them, and stops at shutdown: a backlog (the first round after an
upgrade) is spread over rounds, and report intake never waits behind more than one batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.services import Services
from bot.store.db import Database, now
from bot.store.retention import (
    Batch,
    purge_audit_details,
    purge_bad_callbacks,
    purge_by_date,
    purge_inbound,
    purge_reports,
    purge_sends,
)

log = logging.getLogger(__name__)

BATCH = 500
BATCHES_PER_ROUND = 10
Purge = Callable[[Database, datetime, int, int], Awaitable[Batch]]


class Retention:
    def __init__(self, services: Services, batch: int = BATCH) -> None:
        self.services = services
        self.batch = batch
        self.after: Counter[str] = Counter()
        """Per table, the id its next batch starts after: what is before it is done."""

    async def round(self) -> None:
        db, days = self.services.db, self.services.settings.santo_keep_days
        at = now()
        cutoff = at - timedelta(days=days)

        async def inbound(db: Database, cutoff: datetime, after: int, limit: int) -> Batch:
            return await purge_inbound(db, cutoff, after, limit, at)

        purges: dict[str, Purge] = {
            "sends": purge_sends,
            "reports": purge_reports,
            "replies": inbound,
            "bad callbacks": purge_bad_callbacks,
            "audit details": purge_audit_details,
        }
        done: Counter[str] = Counter()
        for name, purge in purges.items():
            for _ in range(BATCHES_PER_ROUND):
                if self.services.stopping.is_set():
                    return
                batch = await purge(db, cutoff, self.after[name], self.batch)
                self.after[name] = batch.after
                done[name] += batch.done
                await asyncio.sleep(0)  # a report batch waiting for the database goes first
                if batch.finished:
                    break
        done["drafts, approvals and step runs"] = await purge_by_date(db, cutoff, self.batch)
        if +done:
            counts = ", ".join(f"{name} {count}" for name, count in done.items() if count)
            log.info("older than %d days, texts and numbers removed: %s", days, counts)
